/**
 * The shared integer GEMM call: Y[M,N] (int32) = sum_k (A[i,k] - za[i]) * (B[k,j] - zb[j]) on the wasm kernels,
 * exact (wrapping int32, as the reference). Used by MatMulInteger (and by the quantized ops built on it).
 */
import type { Tensor } from '@lowbit/kernels';
import type { WasmRuntime } from '../runtime.js';
import { copyOut, withScratch } from '../runtime.js';

/** B packed into wasm memory (SIMD128 layout or the relaxed 7-bit layout), owned by one kernel instance. */
export interface PackedQB {
  readonly K: number;
  readonly N: number;
  readonly signed: boolean;
  readonly ptr: number;
  /** Relaxed layout only: column sums of b' = b + offB (i32, padded to 8 columns). */
  readonly cs: number;
  readonly relaxed: boolean;
  /** Whether B lives for the session (a constant packed at create): only then is the i16 copy below worth making. */
  readonly kept: boolean;
  /**
   * SIMD128 layout only, kept B only: B widened to i16 (qwidenB), made at the first call with M >= 4 and kept (0
   * until then): twice B's bytes again, paid only by weights that see GEMM calls; GEMV calls read the 8-bit panels.
   */
  wide: number;
}

/**
 * Packs an 8-bit [K, N] B for the SIMD128 kernel, or for the relaxed kernel when `relaxed` (b' must be 7-bit).
 * `kept`: B is a constant packed once at create (a B packed per call is not widened: the copy would cost a pass over
 * K x N and twice B's bytes on every run).
 */
export function packQB(rt: WasmRuntime, b: Tensor, relaxed: boolean, kept: boolean): PackedQB {
  const [K, N] = b.dims;
  const signed = b.dtype === 'int8';
  return withScratch(rt, (_alloc, place) => {
    const src = place(b.data as Int8Array | Uint8Array);
    if (relaxed) {
      const ex = rt.relaxed!;
      const ptr = rt.heap.alloc(ex.q7packBSize(K, N));
      const cs = rt.heap.alloc(Math.ceil(N / 8) * 32);
      ex.q7packB(src, K, N, N, signed ? 1 : 0, ptr, cs);
      return { K, N, signed, ptr, cs, relaxed, kept, wide: 0 };
    }
    const ptr = rt.heap.alloc(rt.ex.qpackBSize(K, N));
    rt.ex.qpackB(src, K, N, N, ptr);
    return { K, N, signed, ptr, cs: 0, relaxed, kept, wide: 0 };
  });
}

export function freeQB(rt: WasmRuntime, p: PackedQB): void {
  rt.heap.free(p.ptr);
  rt.heap.free(p.cs);
  rt.heap.free(p.wide);
  p.wide = 0;
}

/** True when every b + offB (offB 64 for int8, 0 for uint8) is in [0, 127]: the relaxed dot's exact range. */
export function isSevenBit(b: Tensor): boolean {
  const off = b.dtype === 'int8' ? 64 : 0;
  const d = b.data as Int8Array | Uint8Array;
  for (let i = 0; i < d.length; i++) {
    const v = d[i] + off;
    if (v < 0 || v > 127) return false;
  }
  return true;
}

/**
 * out[r*N + j] for r < M: A is M rows of K (8-bit, dtype `aSigned`; a typed array, or an address in wasm memory), za has 1 or M entries, zb 1 or N entries.
 * Writes into `out` (an Int32Array of M*N), or, with `sink`, hands the int32 result's address in wasm memory to
 * `sink` (with the call's scratch allocator) instead of copying it out.
 */
export function qgemmInto(rt: WasmRuntime, a: Int8Array | Uint8Array | number, aSigned: boolean, M: number, za: Int32Array, bp: PackedQB, zb: Int32Array, out: Int32Array | ((c: number, alloc: (bytes: number) => number) => void)): void {
  const { K, N } = bp;
  if (M === 0 || N === 0) return;
  const Np = Math.ceil(N / 8) * 8;
  withScratch(rt, (alloc, place, outAt) => {
    const aPtr = typeof a === 'number' ? a : place(a);
    const zaPtr = alloc(za.length * 4);
    const zbPtr = alloc(Np * 4);
    const c = typeof out === 'function' ? alloc(M * N * 4) : outAt(out);
    let i32 = rt.heap.i32();
    i32.set(za, zaPtr >> 2);
    if (bp.relaxed) {
      const ex = rt.relaxed!;
      const off = bp.signed ? 64 : 0;
      const a8 = alloc(M * Math.ceil(K / 4) * 4);
      const u = alloc(M * 4);
      const r = alloc(M * 4);
      i32 = rt.heap.i32();
      for (let j = 0; j < Np; j++) i32[(zbPtr >> 2) + j] = j < N ? off + (zb.length === 1 ? zb[0] : zb[j]) : 0;
      ex.q7prepA(aPtr, M, K, K, aSigned ? 1 : 0, zaPtr, za.length === 1 ? 0 : 1, a8, u, r);
      ex.q7gemm(a8, M, K, bp.ptr, N, c, N, bp.cs, zbPtr, u, r, rt.fusedDotAdd ? 1 : 0);
    } else {
      const a16 = alloc(M * Math.ceil(K / 2) * 4);
      const rowsum = alloc(M * 4);
      i32 = rt.heap.i32();
      for (let j = 0; j < Np; j++) i32[(zbPtr >> 2) + j] = j < N ? (zb.length === 1 ? zb[0] : zb[j]) : 0;
      rt.ex.qprepA(aPtr, M, K, K, aSigned ? 1 : 0, zaPtr, za.length === 1 ? 0 : 1, a16, rowsum);
      if (M >= 4 && bp.kept && bp.wide === 0) {
        bp.wide = rt.heap.alloc(rt.ex.qpackB16Size(K, N));
        rt.ex.qwidenB(bp.ptr, K, N, bp.signed ? 1 : 0, bp.wide);
      }
      rt.ex.qgemm(a16, M, K, bp.ptr, N, bp.signed ? 1 : 0, c, N, zbPtr, rowsum, bp.wide);
    }
    if (typeof out === 'function') out(c, alloc);
    else copyOut(rt, out, c);
  });
}
