/** TEST-ONLY: small hand-built graphs for the optimisation passes, and running a model at two levels. */
import { DataType, tensorFromValues } from '@lowbit/onnx-ir';
import type { Attr, Model, TensorRef, ValueInfo } from '@lowbit/onnx-ir';
import { mkGraph, mkModel, mkNode, type NodeDraft } from '@lowbit/testing';
import { Tensor, type DType } from '@lowbit/kernels';
import { Session } from '../../session.js';
import type { GraphOptimizationLevel } from '../pipeline.js';

export const f32 = (name: string, dims: readonly number[], data: ArrayLike<number>): TensorRef => tensorFromValues(name, DataType.FLOAT, dims, Float32Array.from(data));
export const u8 = (name: string, dims: readonly number[], data: ArrayLike<number>): TensorRef => tensorFromValues(name, DataType.UINT8, dims, Uint8Array.from(data));
export const i8 = (name: string, dims: readonly number[], data: ArrayLike<number>): TensorRef => tensorFromValues(name, DataType.INT8, dims, Int8Array.from(data));
export const i32 = (name: string, dims: readonly number[], data: ArrayLike<number>): TensorRef => tensorFromValues(name, DataType.INT32, dims, Int32Array.from(data));
export const intsAttr = (name: string, v: readonly number[]): Attr => ({ name, type: 'ints', value: v.map(BigInt) });
export const intAttr = (name: string, v: number): Attr => ({ name, type: 'int', value: BigInt(v) });

export function tensorVi(name: string, elemType: DataType, shape: readonly number[]): ValueInfo {
  return { name, type: { kind: 'tensor', elemType, shape } };
}

export interface QdqConvSpec {
  readonly C: number; readonly M: number; readonly H: number; readonly W: number; readonly k: number;
  readonly xScale: number; readonly xZp: number; readonly xType: 'uint8' | 'int8';
  readonly w: Int8Array; readonly wScale: Float32Array; // 1 or M values
  readonly bias?: Int32Array; // M values at scale fround(xScale * wScale[m])
  readonly yScale: number; readonly yZp: number; readonly yType: 'uint8' | 'int8';
  readonly relu?: boolean;
  readonly group?: number;
}

/** `Q(x) -> DQ -> Conv(DQ(w), DQ(b)) [-> Relu] -> Q(y) -> DQ`: the static QDQ layout quantizeStatic writes. */
export function qdqConvModel(s: QdqConvSpec): Model {
  const zt = (name: string, t: 'uint8' | 'int8', v: number) => (t === 'uint8' ? u8(name, [], [v]) : i8(name, [], [v]));
  const perChannel = s.wScale.length > 1;
  const group = s.group ?? 1;
  const inits: TensorRef[] = [
    f32('xs', [], [s.xScale]), zt('xz', s.xType, s.xZp),
    i8('wq', [s.M, s.C / group, s.k, s.k], s.w), f32('ws', perChannel ? [s.M] : [], s.wScale), i8('wz', perChannel ? [s.M] : [], new Int8Array(s.wScale.length)),
    f32('ys', [], [s.yScale]), zt('yz', s.yType, s.yZp),
  ];
  const nodes: NodeDraft[] = [
    mkNode('QuantizeLinear', ['x', 'xs', 'xz'], ['xq'], { name: 'qx' }),
    mkNode('DequantizeLinear', ['xq', 'xs', 'xz'], ['xd'], { name: 'dqx' }),
    mkNode('DequantizeLinear', ['wq', 'ws', 'wz'], ['wd'], { name: 'dqw', attributes: [intAttr('axis', 0)] }),
  ];
  const convInputs = ['xd', 'wd'];
  if (s.bias) {
    const bs = Float32Array.from({ length: s.M }, (_, m) => Math.fround(s.xScale * s.wScale[s.wScale.length === 1 ? 0 : m]));
    inits.push(i32('bq', [s.M], s.bias), f32('bs', [s.M], bs));
    nodes.push(mkNode('DequantizeLinear', ['bq', 'bs'], ['bd'], { name: 'dqb', attributes: [intAttr('axis', 0)] }));
    convInputs.push('bd');
  }
  const pad = (s.k - 1) >> 1;
  nodes.push(mkNode('Conv', convInputs, ['c'], { name: 'conv', attributes: [intsAttr('pads', [pad, pad, pad, pad]), intsAttr('kernel_shape', [s.k, s.k]), intAttr('group', group)] }));
  let last = 'c';
  if (s.relu) { nodes.push(mkNode('Relu', ['c'], ['r'], { name: 'relu' })); last = 'r'; }
  nodes.push(mkNode('QuantizeLinear', [last, 'ys', 'yz'], ['yq'], { name: 'qy' }));
  nodes.push(mkNode('DequantizeLinear', ['yq', 'ys', 'yz'], ['y'], { name: 'dqy' }));
  return mkModel(mkGraph({
    inputs: [tensorVi('x', DataType.FLOAT, [1, s.C, s.H, s.W])], outputs: [tensorVi('y', DataType.FLOAT, [1, s.M, s.H, s.W])],
    initializers: inits, nodes,
  }), { opset: 13 });
}

/** Runs `m` once per level on the same feeds (js backend) and returns the results (and fetched names) per level. */
export function runLevels(m: Model, feeds: Record<string, Tensor>, levels: readonly GraphOptimizationLevel[], fetches?: readonly string[], keep?: readonly string[]): Record<string, Tensor>[] {
  return levels.map((l) => Session.fromModel(m, { backend: 'js', graphOptimization: l, ...(keep ? { keep } : {}) }).runSync(feeds, fetches ? { fetches } : {}));
}

export function tensor(dtype: DType, data: ArrayLike<number>, dims: readonly number[]): Tensor {
  return new Tensor(dtype, Array.from(data) as never, dims);
}

/** Largest |a - b| over two integer tensors of the same shape. */
export function maxIntDiff(a: Tensor, b: Tensor): number {
  let d = 0;
  const x = a.data as ArrayLike<number>, y = b.data as ArrayLike<number>;
  for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i] - y[i]));
  return d;
}

export interface QdqGemmSpec {
  readonly M: number; readonly K: number; readonly N: number; readonly transB: boolean;
  readonly xScale: number; readonly xZp: number;
  readonly w: Int8Array; readonly wScale: Float32Array; // 1 or N values
  readonly bias?: Int32Array; // N values at scale fround(xScale * wScale[j])
  readonly yScale: number; readonly yZp: number; readonly relu?: boolean;
}

/** `Q(x) -> DQ -> Gemm(DQ(w), DQ(c)) [-> Relu] -> Q(y) -> DQ`, uint8 activations, int8 weights. */
export function qdqGemmModel(s: QdqGemmSpec): Model {
  const per = s.wScale.length > 1;
  const inits: TensorRef[] = [
    f32('xs', [], [s.xScale]), u8('xz', [], [s.xZp]),
    i8('wq', s.transB ? [s.N, s.K] : [s.K, s.N], s.w), f32('ws', per ? [s.N] : [], s.wScale), i8('wz', per ? [s.N] : [], new Int8Array(s.wScale.length)),
    f32('ys', [], [s.yScale]), u8('yz', [], [s.yZp]),
  ];
  const nodes: NodeDraft[] = [
    mkNode('QuantizeLinear', ['x', 'xs', 'xz'], ['xq'], { name: 'qx' }),
    mkNode('DequantizeLinear', ['xq', 'xs', 'xz'], ['xd'], { name: 'dqx' }),
    mkNode('DequantizeLinear', ['wq', 'ws', 'wz'], ['wd'], { name: 'dqw', attributes: [intAttr('axis', s.transB ? 0 : 1)] }),
  ];
  const gin = ['xd', 'wd'];
  if (s.bias) {
    const bs = Float32Array.from({ length: s.N }, (_, j) => Math.fround(s.xScale * s.wScale[per ? j : 0]));
    inits.push(i32('bq', [s.N], s.bias), f32('bs', [s.N], bs));
    nodes.push(mkNode('DequantizeLinear', ['bq', 'bs'], ['bd'], { name: 'dqb', attributes: [intAttr('axis', 0)] }));
    gin.push('bd');
  }
  nodes.push(mkNode('Gemm', gin, ['g'], { name: 'gemm', attributes: [intAttr('transB', s.transB ? 1 : 0)] }));
  let last = 'g';
  if (s.relu) { nodes.push(mkNode('Relu', ['g'], ['r'], { name: 'relu' })); last = 'r'; }
  nodes.push(mkNode('QuantizeLinear', [last, 'ys', 'yz'], ['yq'], { name: 'qy' }));
  nodes.push(mkNode('DequantizeLinear', ['yq', 'ys', 'yz'], ['y'], { name: 'dqy' }));
  return mkModel(mkGraph({ inputs: [tensorVi('x', DataType.FLOAT, [s.M, s.K])], outputs: [tensorVi('y', DataType.FLOAT, [s.M, s.N])], initializers: inits, nodes }), { opset: 13 });
}
