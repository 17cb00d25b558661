import type { Tensor } from '../../tensor.js';
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

/** Integer words over a tensor's bytes: copies through them are bit-exact and see only three array classes. */
export type Words = Uint8Array | Uint16Array | Int32Array;

/**
 * The storage of `t` as integer words and the words per element (8-byte elements are two Int32 words), or undefined
 * for string storage. Shares the buffer; typed-array offsets are aligned to their element size, so the view is valid.
 */
export function wordsOf(t: Tensor): { words: Words; per: number } | undefined {
  const data = t.data;
  if (Array.isArray(data)) return undefined;
  const a = data as unknown as { buffer: ArrayBufferLike; byteOffset: number; byteLength: number; BYTES_PER_ELEMENT: number };
  const b = a.BYTES_PER_ELEMENT;
  if (b === 1) return { words: new Uint8Array(a.buffer, a.byteOffset, a.byteLength), per: 1 };
  if (b === 2) return { words: new Uint16Array(a.buffer, a.byteOffset, a.byteLength >> 1), per: 1 };
  return { words: new Int32Array(a.buffer, a.byteOffset, a.byteLength >> 2), per: b >> 2 };
}

/**
 * `count` runs of `run` words: run c is src[s + c*sStep ..) to dst[d + c*dStep ..) (sStep may be negative). Runs of
 * at least SET_MIN words go through `set`; shorter ones through one tight loop.
 */
export function copyRuns(dst: Words, d: number, dStep: number, src: Words, s: number, sStep: number, run: number, count: number): void {
  if (run >= SET_MIN) {
    for (let c = 0; c < count; c++, d += dStep, s += sStep) dst.set(src.subarray(s, s + run), d);
    return;
  }
  if (run === 1) {
    for (let c = 0; c < count; c++, d += dStep, s += sStep) dst[d] = src[s];
    return;
  }
  if (run === 2) {
    for (let c = 0; c < count; c++, d += dStep, s += sStep) {
      dst[d] = src[s];
      dst[d + 1] = src[s + 1];
    }
    return;
  }
  for (let c = 0; c < count; c++, d += dStep, s += sStep) {
    for (let j = 0; j < run; j++) dst[d + j] = src[s + j];
  }
}
