import type { AttrValue, KernelNode } from './contract.js';
import { DTYPE_OF_ONNX } from './ops/util/onnx-dtype.js';
import { DTYPE_SHORT, type DType } from './tensor.js';

/**
 * The signature part of a kernel key, for ops whose key is not simply the first input's dtype.
 * E.g. MatMulInteger -> `u8xi8->i32`, QuantizeLinear -> `f32->u8`.
 */
export type SignatureFn = (inputTypes: readonly (DType | null)[], attrs: ReadonlyMap<string, AttrValue>) => string;

const s = (t: DType | null | undefined): string => (t ? DTYPE_SHORT[t] : 'none');

/** Ops with a non-default signature. Add a line when a kernel's key needs more than the first input's dtype. */
export const SIGNATURES: ReadonlyMap<string, SignatureFn> = new Map<string, SignatureFn>([
  ['MatMulInteger', (t) => `${s(t[0])}x${s(t[1])}->i32`],
  ['ConvInteger', (t) => `${s(t[0])}x${s(t[1])}->i32`],
  ['QLinearMatMul', (t) => `${s(t[0])}x${s(t[3])}->${s(t[7])}`],
  ['QLinearConv', (t) => `${s(t[0])}x${s(t[3])}->${s(t[7])}`],
  ['QuantizeLinear', (t, a) => `${s(t[0])}->${t[2] ? s(t[2]) : outputDtypeAttr(a) ?? 'u8'}`],
  ['DequantizeLinear', (t) => `${s(t[0])}->${t[1] ? s(t[1]) : 'f32'}`],
  ['DynamicQuantizeLinear', (t) => `${s(t[0])}->u8`],
  ['Cast', (t, a) => `${s(t[0])}->${castTarget(a)}`],
  ['CastLike', (t) => `${s(t[0])}->${s(t[1])}`],
  ['Where', (t) => s(t[1])],
]);

function castTarget(attrs: ReadonlyMap<string, AttrValue>): string {
  const v = attrs.get('to');
  return typeof v === 'number' && DTYPE_OF_ONNX[v] ? DTYPE_SHORT[DTYPE_OF_ONNX[v]] : 'none';
}

function outputDtypeAttr(attrs: ReadonlyMap<string, AttrValue>): string | undefined {
  const v = attrs.get('output_dtype');
  if (typeof v !== 'number' || v === 0) return undefined;
  const byOnnx: Record<number, DType> = { 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 21: 'uint4', 22: 'int4', 25: 'uint2', 26: 'int2', 17: 'float8e4m3fn', 18: 'float8e4m3fnuz', 19: 'float8e5m2', 20: 'float8e5m2fnuz', 23: 'float4e2m1' };
  return byOnnx[v] ? DTYPE_SHORT[byOnnx[v]] : undefined;
}

/**
 * The registry key for a node: `[domain.]OpType:sig`. The default domain ('' or 'ai.onnx') has no prefix.
 * sig defaults to the short dtype of the first present input (`Conv:f32`); `SIGNATURES` overrides it.
 * `KernelRegistry.resolve` falls back to `OpType:*` for dtype-generic kernels.
 */
export function keyFor(node: Pick<KernelNode, 'opType' | 'domain' | 'inputTypes' | 'attrs'>): string {
  const prefix = node.domain === '' || node.domain === 'ai.onnx' ? '' : `${node.domain}.`;
  const fn = prefix === '' ? SIGNATURES.get(node.opType) : undefined;
  const sig = fn ? fn(node.inputTypes, node.attrs) : s(node.inputTypes.find((t) => t !== null));
  return `${prefix}${node.opType}:${sig}`;
}
