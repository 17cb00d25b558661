/**
 * Element-wise agreement check for kernel outputs against a reference result: floats within
 * |a - e| <= atol + rtol * |e| (NaN matches NaN), every other dtype exactly. Returns the first mismatch or undefined.
 */
import { Tensor } from '../tensor.js';
import { isFloat, toNumbers } from '../ops/util/values.js';

export interface Expected {
  readonly dims: readonly number[];
  readonly data: ArrayLike<unknown>;
}

export function firstMismatch(actual: Tensor, expected: Expected, tol = { rtol: 1e-4, atol: 1e-5 }): string | undefined {
  if (actual.dims.join(',') !== expected.dims.join(',')) return `dims [${actual.dims}], expected [${expected.dims}]`;
  if (!isFloat(actual.dtype) || actual.dtype.startsWith('float8') || actual.dtype === 'float4e2m1') {
    const a = actual.data as unknown as ArrayLike<unknown>;
    for (let i = 0; i < a.length; i++) if (a[i] !== expected.data[i]) return `element ${i}: ${String(a[i])}, expected ${String(expected.data[i])}`;
    return undefined;
  }
  const a = toNumbers(actual);
  // A reference that hands back float16/bfloat16 as bit patterns is decoded the same way as ours.
  const e16 = expected.data instanceof Uint16Array ? toNumbers(new Tensor(actual.dtype, expected.data, expected.dims)) : undefined;
  for (let i = 0; i < a.length; i++) {
    const e = e16 ? e16[i] : Number(expected.data[i]);
    if (a[i] === e || (Number.isNaN(e) && Number.isNaN(a[i]))) continue;
    if (!(Math.abs(a[i] - e) <= tol.atol + tol.rtol * Math.abs(e))) return `element ${i}: ${a[i]}, expected ${e}`;
  }
  return undefined;
}
