/**
 * The lowbit.DynamicQMatMul forms besides the constant-weight one of dynamic-q.ts, and what every dynamic form shares:
 * B an activation (attention's probs x V: `createDynamicB`) and sibling MatMuls of one x as one GEMM
 * (lowbit.DynamicQMatMulSplit: `createDynamicSplit`). Bit-identical to their reference kernels
 * (packages/kernels/src/quant/dynamic-qmatmul.ts); anything they decline runs the reference, which reports errors.
 */
import { sameDims, Tensor, type KernelInstance, type KernelNode, type KernelVariant } from '@lowbit/kernels';
import type { NativeKernelInfo, NativeQGemm, NativeQGemmBatch } from './addon.js';
import { BatchPlans, offsetsFit } from './batched.js';
import { lazyReference, type NativeContext, type NativeInstance } from './context.js';

export const DYNAMIC_QMATMUL_KEY = 'lowbit.DynamicQMatMul:f32';
/** lowbit.DynamicQMatMulSplit: sibling DynamicQMatMuls of one x as one GEMM whose outputs are its column groups. */
export const DYNAMIC_QMATMUL_SPLIT_KEY = 'lowbit.DynamicQMatMulSplit:f32';

export type Q8 = 'uint8' | 'int8';
export const isQ8 = (t: Tensor | null | undefined): t is Tensor<Q8> => !!t && (t.dtype === 'uint8' || t.dtype === 'int8');
export const isF32 = (t: Tensor | null | undefined): t is Tensor<'float32'> => !!t && t.dtype === 'float32';

/** `p` has 1 value or `n` values laid along one axis. */
export const perOr = (t: Tensor | null | undefined, n: number): boolean => !!t && (t.data.length === 1 || (t.data.length === n && t.dims.length <= 1));

/**
 * lowbit.DynamicQMatMul with a non-constant B (attention), per-tensor w_scale and w_zero_point, no bias: x quantized
 * natively (bit-exact DynamicQuantizeLinear), then the kernel's batched int8 GEMM (each distinct B packed once, batch
 * broadcast) with the per-tensor epilogue `fround(fround(acc) * fround(x_s * w_s))` applied per block, the reference's
 * steps. Anything else: the reference.
 */
export function createDynamicB(ctx: NativeContext, node: KernelNode, k: NativeKernelInfo): NativeInstance {
  const ref = lazyReference(ctx, DYNAMIC_QMATMUL_KEY, node);
  const plans = new BatchPlans();
  let g: NativeQGemmBatch | undefined;
  let xqBuf = new Uint8Array(0);
  const qScale = new Float32Array(1);
  const qZp = new Uint8Array(1);
  return {
    get referenceRuns() {
      return ref.calls;
    },
    run(inputs, rctx) {
      const [x, w, ws, zw] = [inputs[0], inputs[1], inputs[2], inputs[3] ?? null];
      if (!isF32(x) || !isQ8(w) || !isF32(ws) || ws.data.length !== 1 || (zw && (zw.dtype !== w.dtype || zw.data.length !== 1)) || inputs[4] || inputs[5]) return ref().run(inputs, rctx);
      if (x.dims.length < 2 || w.dims.length < 2 || x.dims[x.dims.length - 1] !== w.dims[w.dims.length - 2] || !offsetsFit(x.data.length, w.data.length)) return ref().run(inputs, rctx);
      const p = plans.plan(node, x.dims, w.dims);
      if (p.M * p.N * p.K === 0) return ref().run(inputs, rctx);
      if (xqBuf.length !== x.data.length) xqBuf = new Uint8Array(x.data.length);
      if (!ctx.addon.dynamicQuantizeLinear(x.data, xqBuf, qScale, qZp)) return ref().run(inputs, rctx); // empty / non-finite: the reference reports it
      const y = rctx.alloc('float32', p.outDims);
      g ??= new ctx.addon.QGemmBatch(k.name, ctx.threads);
      g.runScaled(ctx.pool(), xqBuf, p.aOffsets, p.K, w.data as Uint8Array | Int8Array, p.bOffsets, p.N, false, p.M, p.K, p.N, qZp[0], zw ? Number(zw.data[0]) : 0, Math.fround(qScale[0] * ws.data[0]), y.data);
      return [y];
    },
  };
}

/**
 * lowbit.DynamicQMatMulSplit with constant weights: one `runDynamic` call quantizes x, runs the GEMM over every
 * sibling's columns and stores each column group (`splits`) into its own output. Anything else: the reference.
 */
export function createDynamicSplit(ctx: NativeContext, node: KernelNode, innerVariant: KernelVariant | undefined): NativeInstance {
  const ref = lazyReference(ctx, DYNAMIC_QMATMUL_SPLIT_KEY, node);
  const w0 = node.constants?.get(1);
  let inner: (KernelInstance & { referenceRuns?: number; gemm?: NativeQGemm }) | undefined;
  if (innerVariant && isQ8(w0)) inner = innerVariant.create(innerNode(node, 'MatMulInteger'));
  const v = node.attrs.get('splits');
  const splits = Array.isArray(v) ? v.map(Number) : [];
  const N = w0?.dims[1] ?? 0;
  const splitsOk = splits.length > 0 && splits.every((n) => Number.isInteger(n) && n >= 1) && splits.reduce((a, b) => a + b, 0) === N;
  return {
    get referenceRuns() {
      return ref.calls + (inner?.referenceRuns ?? 0);
    },
    run(inputs, rctx) {
      const x = inputs[0], w = inputs[1], ws = inputs[2], zw = inputs[3] ?? null, bias = inputs[4] ?? null;
      const g = inner?.gemm;
      if (!g || !splitsOk || !isF32(x) || !isQ8(w) || (w !== w0 && (w.dtype !== w0!.dtype || !sameDims(w.dims, w0!.dims))) || !isF32(ws) || inputs[5]) return ref().run(inputs, rctx);
      const K = w.dims[0];
      if (x.dims.length < 1 || x.dims[x.dims.length - 1] !== K || x.data.length === 0) return ref().run(inputs, rctx);
      if ((zw && (zw.dtype !== w.dtype || !perOr(zw, N))) || !perOr(ws, N) || (bias && (!isF32(bias) || !perOr(bias, N)))) return ref().run(inputs, rctx);
      const lead = x.dims.slice(0, -1);
      const ys = splits.map((n) => rctx.alloc('float32', [...lead, n]));
      const zwd = zw ? (zw.data as Uint8Array | Int8Array) : null;
      if (g.runDynamic(ctx.pool(), x.data, x.data.length / K, zwd, ws.data, bias ? (bias.data as Float32Array) : null, ys.map((t) => t.data))) return ys;
      return ref().run(inputs, rctx); // non-finite x: the reference reports it
    },
    dispose() {
      inner?.dispose?.();
      inner = undefined;
    },
  };
}

/** The MatMulInteger / ConvInteger node the integer part runs as: (x_q, w, x_zp, w_zp), w and w_zp constant. */
export function innerNode(node: KernelNode, opType: string): KernelNode {
  const w0 = node.constants?.get(1);
  const constants = new Map<number, Tensor>();
  if (w0) constants.set(1, w0);
  const zw0 = node.constants?.get(3);
  if (zw0) constants.set(3, zw0);
  return { ...node, opType, domain: '', inputTypes: ['uint8', w0?.dtype ?? null, 'uint8', node.inputTypes[3] ?? null], constants, inputShapes: undefined };
}
