import type { Tensor } from '@lowbit/kernels';

export interface Mismatch {
  readonly output: string;
  readonly message: string;
}

/**
 * Compares an actual output with the expected one: same dtype and dims, then every element within
 * |a - e| <= atol + rtol * |e| for floats (NaN matches NaN), exactly for integers, bools and strings.
 */
export function compareTensors(name: string, actual: Tensor, expected: Tensor, atol: number, rtol: number): Mismatch[] {
  if (actual.dtype !== expected.dtype) return [{ output: name, message: `${name}: dtype ${actual.dtype}, expected ${expected.dtype}` }];
  if (actual.dims.join(',') !== expected.dims.join(',')) {
    return [{ output: name, message: `${name}: shape [${actual.dims.join(', ')}], expected [${expected.dims.join(', ')}]` }];
  }
  const float = ['float32', 'float64', 'float16', 'bfloat16'].includes(actual.dtype);
  const a = actual.data as ArrayLike<number | bigint | string>;
  const e = expected.data as ArrayLike<number | bigint | string>;
  let bad = 0;
  let first = -1;
  for (let i = 0; i < a.length; i++) {
    const ok = float ? close(Number(a[i]), Number(e[i]), atol, rtol) : a[i] === e[i];
    if (!ok) {
      bad++;
      if (first < 0) first = i;
    }
  }
  if (bad === 0) return [];
  return [{ output: name, message: `${name}: ${bad} of ${a.length} elements differ; first at ${first}: ${String(a[first])} vs expected ${String(e[first])}` }];
}

function close(a: number, e: number, atol: number, rtol: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(e)) return Number.isNaN(a) && Number.isNaN(e);
  if (!Number.isFinite(e)) return a === e;
  return Math.abs(a - e) <= atol + rtol * Math.abs(e);
}
