/**
 * Reading the scale and zero-point inputs of the integer kernels: scalars (per-tensor) or 1-D vectors (per-row,
 * per-column, per-channel). Each failure is a KernelError naming the input.
 */
import type { KernelNode } from '../contract.js';
import { float16ToFloat32 } from '@lowbit/qparams';
import type { Tensor } from '../tensor.js';
import { fail, input } from '../nn/checks.js';

type N = Pick<KernelNode, 'name' | 'opType'>;

/**
 * A per-tensor or per-`what` parameter with `n` entries: returns a Float64Array of length 1 or n (numbers as
 * stored: integers for zero points, float32/float16 values for scales). Accepted shapes: any shape with one
 * element, `[n]`, or `n` elements whose other dims are 1 (e.g. `[n, 1]` for per-row or `[1, n]` per-column).
 * `null` (an omitted optional input) gives `[dflt]`.
 */
export function perTensorOr(node: N, t: Tensor | null, i: number, n: number, what: string, dflt = 0): Float64Array {
  if (!t) return Float64Array.of(dflt);
  const size = t.data.length;
  const ok = size === 1 || (size === n && t.dims.filter((d) => d !== 1).length <= 1);
  if (!ok) fail(node, 'shape', { inputIndex: i, expected: `a scalar or ${n} values (${what})`, actual: `[${t.dims.join(', ')}]` });
  const out = new Float64Array(size);
  const data = t.data as ArrayLike<number>;
  if (t.dtype === 'float16') for (let k = 0; k < size; k++) out[k] = float16ToFloat32(data[k]);
  else for (let k = 0; k < size; k++) out[k] = Number(data[k]);
  return out;
}

/** Element `k` of a parameter from `perTensorOr` (broadcasts a single value). */
export const at = (p: Float64Array, k: number): number => (p.length === 1 ? p[0] : p[k]);

export const Q8 = ['uint8', 'int8'] as const;
export type Q8 = (typeof Q8)[number];

/** An 8-bit quantized input (uint8 or int8). */
export function q8Input(node: N, inputs: readonly (Tensor | null)[], i: number): Tensor<Q8> {
  return input(node, inputs, i, Q8);
}

/** The zero point input `i` must have the same dtype as its tensor (ONNX type constraint). */
export function zeroPointInput(node: N, inputs: readonly (Tensor | null)[], i: number, dtype: Q8): Tensor | null {
  const t = inputs[i];
  if (!t) return null;
  if (t.dtype !== dtype) fail(node, 'dtype', { inputIndex: i, expected: `${dtype} (the quantized tensor's type)`, actual: t.dtype });
  return t;
}

/** A scale input: float32 or float16. */
export function scaleInput(node: N, inputs: readonly (Tensor | null)[], i: number): Tensor<'float32' | 'float16'> {
  return input(node, inputs, i, ['float32', 'float16'] as const);
}
