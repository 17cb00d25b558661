import type { Elems } from './index-data.js';

/** Typed-array storage as `set`/`subarray` see it (every non-string dtype's storage class). */
interface Typed {
  set(src: ArrayLike<unknown>, offset: number): void;
  subarray(begin: number, end: number): Typed;
}

/** Runs shorter than this are copied one element at a time (a `subarray` view costs more than a few moves). */
const SET_MIN = 16;

/**
 * Copies `n` elements src[s .. s+n) to dst[d .. d+n), bit for bit. Typed arrays (same class) use `set` on a view for
 * runs of at least SET_MIN elements; string storage (a JS array) and short runs move one element at a time.
 */
export function copyRun(dst: Elems, d: number, src: Elems, s: number, n: number): void {
  if (n >= SET_MIN && !Array.isArray(dst)) {
    (dst as unknown as Typed).set((src as unknown as Typed).subarray(s, s + n) as unknown as ArrayLike<unknown>, d);
    return;
  }
  const D = dst as { [i: number]: unknown };
  for (let j = 0; j < n; j++) D[d + j] = src[s + j];
}
