// Integer GEMM: C[M,N] (i32) = sum_k (A[i,k] - za[i]) * (B[k,j] - zb[j]), exact modulo 2^32.
//
// B (8-bit, constant weights) is packed once into panels of 8 columns with k in pairs:
//   panel p, pair kk: 16 bytes [b(2kk,8p), b(2kk+1,8p), b(2kk,8p+1), b(2kk+1,8p+1), ... b(2kk+1,8p+7)]
// so that one i16x8 widening of the low/high half gives four columns' (k, k+1) pairs for i32x4.dot_i16x8_s.
// For GEMM calls (M >= 4) the caller may also widen the packed B once to i16 (qwidenB: the same layout, 32 bytes per
// pair, each half already the i16x8 the dot consumes; twice the memory), which leaves the inner loop loads, dots and
// adds. GEMV calls keep reading the 8-bit panels (half the bytes to stream; widening in registers is free there).
// A is widened per call to i16 with its zero point subtracted (|a - za| <= 255), k padded to even, rows in blocks of
// four interleaved per pair (block b, pair kk: 16 bytes [row 4b, 4b+1, 4b+2, 4b+3], so the 4-row kernel walks A and
// B with one pointer each and constant offsets), the rows after the last full block plain; and its row sums
// are kept: the B zero point is applied as C[i,j] -= zb[j] * rowsum[i] (all in wrapping i32 arithmetic, which is
// exactly the reference's (acc + p) | 0). Products are <= 255 * 255 and a dot pair <= 130050: no i32 overflow inside
// a lane step, so the kernel is exact for full-range operands.
//
// With relaxed SIMD (RELAXED build), the 7-bit path packs groups of 4 k as bytes and uses
// i32x4.relaxed_dot_i8x16_i7x16_add_s; see qgemm7.ts.

/** Bytes of a packed 8-bit B of K x N. */
export function qpackBSize(K: i32, N: i32): i32 {
  return ((N + 7) >> 3) * ((K + 1) >> 1) * 16;
}

/** Packs B [K,N] (8-bit, row stride ldb bytes) into 8-column panels with k in pairs; padding is 0. */
export function qpackB(src: usize, K: i32, N: i32, ldb: i32, dst: usize): void {
  const Kp2 = (K + 1) >> 1;
  const panels = (N + 7) >> 3;
  for (let p = 0; p < panels; p++) {
    const base = dst + <usize>(p * Kp2 * 16);
    for (let kk = 0; kk < Kp2; kk++) {
      const row = base + <usize>(kk * 16);
      for (let j = 0; j < 8; j++) {
        const col = p * 8 + j;
        const k0 = 2 * kk;
        let v0: u8 = 0;
        let v1: u8 = 0;
        if (col < N) {
          v0 = load<u8>(src + <usize>(k0 * ldb + col));
          if (k0 + 1 < K) v1 = load<u8>(src + <usize>((k0 + 1) * ldb + col));
        }
        store<u8>(row + <usize>(j * 2), v0);
        store<u8>(row + <usize>(j * 2 + 1), v1);
      }
    }
  }
}

/** Bytes of the i16 widened form of a packed 8-bit B of K x N (qwidenB). */
export function qpackB16Size(K: i32, N: i32): i32 {
  return ((N + 7) >> 3) * ((K + 1) >> 1) * 32;
}

/** Widens qpackB's panels (bp, 8-bit, signedness signedB) to i16 at dst: each 16 bytes become their low and high i16x8. */
export function qwidenB(bp: usize, K: i32, N: i32, signedB: bool, dst: usize): void {
  const n = ((N + 7) >> 3) * ((K + 1) >> 1);
  for (let t = 0; t < n; t++) {
    const v = v128.load(bp + <usize>(t * 16));
    const d = dst + <usize>(t * 32);
    if (signedB) {
      v128.store(d, i16x8.extend_low_i8x16_s(v));
      v128.store(d, i16x8.extend_high_i8x16_s(v), 16);
    } else {
      v128.store(d, i16x8.extend_low_i8x16_u(v));
      v128.store(d, i16x8.extend_high_i8x16_u(v), 16);
    }
  }
}

/**
 * Widens A [M,K] (8-bit, row stride lda bytes) to i16 with the zero point subtracted (za: i32 per row when zaPerRow,
 * else one i32), k padded to even (Kp2 = ceil(K/2) pairs, 4 bytes each), and writes rowsum[i] = sum_k (A[i,k] - za[i]).
 * Layout (see the file note): rows 4b..4b+3 of each full block of four interleaved per pair (pair kk of row 4b+r at
 * block + kk*16 + r*4), rows after the last full block plain (row i at i*Kp2*4). With M < 4 that is plain rows.
 */
export function qprepA(src: usize, M: i32, K: i32, lda: i32, signedA: bool, za: usize, zaPerRow: bool, dst: usize, rowsum: usize): void {
  if (signedA) qprepAT<i8>(src, M, K, lda, za, zaPerRow, dst, rowsum);
  else qprepAT<u8>(src, M, K, lda, za, zaPerRow, dst, rowsum);
}

/** A[i, k] - z widened to i16 for k in [k0, k0 + 16) of row s: the low and high eight as i16x8. */
// @ts-ignore: decorator
@inline function centred<T>(s: usize, zv: v128, half: i32): v128 {
  const v = v128.load(s);
  return i16x8.sub(half == 0 ? widenLo<T>(v) : widenHi<T>(v), zv);
}

function qprepAT<T>(src: usize, M: i32, K: i32, lda: i32, za: usize, zaPerRow: bool, dst: usize, rowsum: usize): void {
  const Kp = ((K + 1) >> 1) * 2;
  const M4 = M & ~3;
  const K16 = K & ~15;
  // Full blocks of four rows: 16 k (8 pairs) of each row per step, the 4 x 4 pair matrix transposed with shuffles.
  for (let i = 0; i < M4; i += 4) {
    const s0 = src + <usize>(i * lda), s1 = s0 + <usize>lda, s2 = s1 + <usize>lda, s3 = s2 + <usize>lda;
    const z0 = i16x8.splat(<i16>load<i32>(za + (zaPerRow ? <usize>(i * 4) : 0)));
    const z1 = i16x8.splat(<i16>load<i32>(za + (zaPerRow ? <usize>(i * 4 + 4) : 0)));
    const z2 = i16x8.splat(<i16>load<i32>(za + (zaPerRow ? <usize>(i * 4 + 8) : 0)));
    const z3 = i16x8.splat(<i16>load<i32>(za + (zaPerRow ? <usize>(i * 4 + 12) : 0)));
    const d = dst + <usize>(i * Kp * 2);
    let m0 = i32x4.splat(0), m1 = i32x4.splat(0), m2 = i32x4.splat(0), m3 = i32x4.splat(0);
    for (let k = 0; k < K16; k += 16) {
      for (let h = 0; h < 2; h++) {
        const r0 = centred<T>(s0 + <usize>k, z0, h), r1 = centred<T>(s1 + <usize>k, z1, h);
        const r2 = centred<T>(s2 + <usize>k, z2, h), r3 = centred<T>(s3 + <usize>k, z3, h);
        m0 = i32x4.add(m0, i32x4.extadd_pairwise_i16x8_s(r0));
        m1 = i32x4.add(m1, i32x4.extadd_pairwise_i16x8_s(r1));
        m2 = i32x4.add(m2, i32x4.extadd_pairwise_i16x8_s(r2));
        m3 = i32x4.add(m3, i32x4.extadd_pairwise_i16x8_s(r3));
        const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5), t1 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
        const t2 = i32x4.shuffle(r0, r1, 2, 6, 3, 7), t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
        const o = d + <usize>((k + h * 8) * 8);
        v128.store(o, i32x4.shuffle(t0, t1, 0, 1, 4, 5));
        v128.store(o, i32x4.shuffle(t0, t1, 2, 3, 6, 7), 16);
        v128.store(o, i32x4.shuffle(t2, t3, 0, 1, 4, 5), 32);
        v128.store(o, i32x4.shuffle(t2, t3, 2, 3, 6, 7), 48);
      }
    }
    store<i32>(rowsum + <usize>(i * 4), hsum(m0));
    store<i32>(rowsum + <usize>(i * 4 + 4), hsum(m1));
    store<i32>(rowsum + <usize>(i * 4 + 8), hsum(m2));
    store<i32>(rowsum + <usize>(i * 4 + 12), hsum(m3));
  }
  // Plain rows: 16 k per step stored as they are (pairs are contiguous).
  for (let i = M4; i < M; i++) {
    const s = src + <usize>(i * lda);
    const zv = i16x8.splat(<i16>load<i32>(za + (zaPerRow ? <usize>(i * 4) : 0)));
    const d = dst + <usize>(i * Kp * 2);
    let m = i32x4.splat(0);
    for (let k = 0; k < K16; k += 16) {
      const lo = centred<T>(s + <usize>k, zv, 0), hi = centred<T>(s + <usize>k, zv, 1);
      m = i32x4.add(m, i32x4.add(i32x4.extadd_pairwise_i16x8_s(lo), i32x4.extadd_pairwise_i16x8_s(hi)));
      v128.store(d + <usize>(k * 2), lo);
      v128.store(d + <usize>(k * 2), hi, 16);
    }
    store<i32>(rowsum + <usize>(i * 4), hsum(m));
  }
  // The k after the last full 16 (and the zero that pads an odd K), element by element, added to the row sums.
  for (let i = 0; i < M; i++) {
    const z = load<i32>(za + (zaPerRow ? <usize>(i * 4) : 0));
    const s = src + <usize>(i * lda);
    // Element k of row i: interleaved rows step 16 bytes per pair, plain rows 4.
    const d = i < M4 ? dst + <usize>((i & ~3) * Kp * 2 + (i & 3) * 4) : dst + <usize>(i * Kp * 2);
    const step: i32 = i < M4 ? 16 : 4;
    let sum: i32 = load<i32>(rowsum + <usize>(i * 4));
    for (let k = K16; k < K; k++) {
      const a: i32 = isSigned<T>() ? <i32>load<i8>(s + <usize>k) : <i32>load<u8>(s + <usize>k);
      const v = a - z;
      store<i16>(d + <usize>((k >> 1) * step + (k & 1) * 2), <i16>v);
      sum += v;
    }
    if (Kp > K) store<i16>(d + <usize>((K >> 1) * step + 2), 0);
    store<i32>(rowsum + <usize>(i * 4), sum);
  }
}

// @ts-ignore: decorator
@inline function hsum(v: v128): i32 {
  return i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3);
}

// @ts-ignore: decorator
@inline function widenLo<T>(v: v128): v128 {
  if (isSigned<T>()) return i16x8.extend_low_i8x16_s(v);
  return i16x8.extend_low_i8x16_u(v);
}

// @ts-ignore: decorator
@inline function widenHi<T>(v: v128): v128 {
  if (isSigned<T>()) return i16x8.extend_high_i8x16_s(v);
  return i16x8.extend_high_i8x16_u(v);
}

// @ts-ignore: decorator
@inline function storeRow(c: usize, j0: i32, N: i32, lo: v128, hi: v128, zb0: v128, zb1: v128, rs: i32): void {
  const r = i32x4.splat(rs);
  const o0 = i32x4.sub(lo, i32x4.mul(zb0, r));
  const o1 = i32x4.sub(hi, i32x4.mul(zb1, r));
  const dst = c + <usize>(j0 * 4);
  if (j0 + 8 <= N) {
    v128.store(dst, o0);
    v128.store(dst, o1, 16);
  } else {
    const n = N - j0;
    if (n > 0) store<i32>(dst, i32x4.extract_lane(o0, 0));
    if (n > 1) store<i32>(dst, i32x4.extract_lane(o0, 1), 4);
    if (n > 2) store<i32>(dst, i32x4.extract_lane(o0, 2), 8);
    if (n > 3) store<i32>(dst, i32x4.extract_lane(o0, 3), 12);
    if (n > 4) store<i32>(dst, i32x4.extract_lane(o1, 0), 16);
    if (n > 5) store<i32>(dst, i32x4.extract_lane(o1, 1), 20);
    if (n > 6) store<i32>(dst, i32x4.extract_lane(o1, 2), 24);
  }
}

/**
 * Few rows (GEMV-like, M < 4): each row walks four 8-column panels at once, so four B streams are in flight (one
 * panel at a time leaves the loads latency-bound) and the A pair is loaded once per four panels.
 */
function qgemvT<T>(a16: usize, M: i32, K: i32, bp: usize, N: i32, c: usize, ldc: i32, zb: usize, rowsum: usize): void {
  const Kp2 = (K + 1) >> 1;
  const lda = <usize>(Kp2 * 4);
  const panels = (N + 7) >> 3;
  const stride = <usize>(Kp2 * 16);
  for (let i = 0; i < M; i++) {
    const arow = a16 + <usize>i * lda;
    const crow = c + <usize>(i * ldc * 4);
    const rs = load<i32>(rowsum + <usize>(i * 4));
    let p = 0;
    for (; p + 4 <= panels; p += 4) {
      let b = bp + <usize>p * stride;
      let a0 = arow;
      let c00 = i32x4.splat(0), c01 = i32x4.splat(0), c10 = i32x4.splat(0), c11 = i32x4.splat(0);
      let c20 = i32x4.splat(0), c21 = i32x4.splat(0), c30 = i32x4.splat(0), c31 = i32x4.splat(0);
      for (let kk = 0; kk < Kp2; kk++) {
        const av = v128.load32_splat(a0);
        let bv = v128.load(b);
        c00 = i32x4.add(c00, i32x4.dot_i16x8_s(av, widenLo<T>(bv)));
        c01 = i32x4.add(c01, i32x4.dot_i16x8_s(av, widenHi<T>(bv)));
        bv = v128.load(b + stride);
        c10 = i32x4.add(c10, i32x4.dot_i16x8_s(av, widenLo<T>(bv)));
        c11 = i32x4.add(c11, i32x4.dot_i16x8_s(av, widenHi<T>(bv)));
        bv = v128.load(b + 2 * stride);
        c20 = i32x4.add(c20, i32x4.dot_i16x8_s(av, widenLo<T>(bv)));
        c21 = i32x4.add(c21, i32x4.dot_i16x8_s(av, widenHi<T>(bv)));
        bv = v128.load(b + 3 * stride);
        c30 = i32x4.add(c30, i32x4.dot_i16x8_s(av, widenLo<T>(bv)));
        c31 = i32x4.add(c31, i32x4.dot_i16x8_s(av, widenHi<T>(bv)));
        b += 16;
        a0 += 4;
      }
      const j0 = p * 8;
      storeRow(crow, j0, N, c00, c01, v128.load(zb + <usize>(j0 * 4)), v128.load(zb + <usize>(j0 * 4), 16), rs);
      storeRow(crow, j0 + 8, N, c10, c11, v128.load(zb + <usize>(j0 * 4), 32), v128.load(zb + <usize>(j0 * 4), 48), rs);
      storeRow(crow, j0 + 16, N, c20, c21, v128.load(zb + <usize>(j0 * 4), 64), v128.load(zb + <usize>(j0 * 4), 80), rs);
      storeRow(crow, j0 + 24, N, c30, c31, v128.load(zb + <usize>(j0 * 4), 96), v128.load(zb + <usize>(j0 * 4), 112), rs);
    }
    for (; p < panels; p++) {
      let b = bp + <usize>p * stride;
      let a0 = arow;
      let c00 = i32x4.splat(0), c01 = i32x4.splat(0);
      for (let kk = 0; kk < Kp2; kk++) {
        const bv = v128.load(b);
        const av = v128.load32_splat(a0);
        c00 = i32x4.add(c00, i32x4.dot_i16x8_s(av, widenLo<T>(bv)));
        c01 = i32x4.add(c01, i32x4.dot_i16x8_s(av, widenHi<T>(bv)));
        b += 16;
        a0 += 4;
      }
      const j0 = p * 8;
      storeRow(crow, j0, N, c00, c01, v128.load(zb + <usize>(j0 * 4)), v128.load(zb + <usize>(j0 * 4), 16), rs);
    }
  }
}

/** M >= 4. T: i8/u8 (qpackB panels, widened in registers) or i16 (qwidenB panels). A from qprepA (interleaved). */
function qgemmT<T>(a16: usize, M: i32, K: i32, bp: usize, N: i32, c: usize, ldc: i32, zb: usize, rowsum: usize): void {
  const Kp2 = (K + 1) >> 1;
  const lda = <usize>(Kp2 * 4);
  const panels = (N + 7) >> 3;
  const pstride = <usize>(Kp2 * (sizeof<T>() == 2 ? 32 : 16));
  for (let p = 0; p < panels; p++) {
    const bpanel = bp + <usize>p * pstride;
    const j0 = p * 8;
    const zb0 = v128.load(zb + <usize>(j0 * 4));
    const zb1 = v128.load(zb + <usize>(j0 * 4), 16);
    let i = 0;
    for (; i + 4 <= M; i += 4) {
      let a0 = a16 + <usize>i * lda;
      const aend = a0 + <usize>(Kp2 * 16);
      let b = bpanel;
      let c00 = i32x4.splat(0), c01 = i32x4.splat(0);
      let c10 = i32x4.splat(0), c11 = i32x4.splat(0);
      let c20 = i32x4.splat(0), c21 = i32x4.splat(0);
      let c30 = i32x4.splat(0), c31 = i32x4.splat(0);
      for (; a0 < aend; a0 += 16) {
        let blo: v128, bhi: v128;
        if (sizeof<T>() == 2) {
          blo = v128.load(b);
          bhi = v128.load(b, 16);
          b += 32;
        } else {
          const bv = v128.load(b);
          blo = widenLo<T>(bv);
          bhi = widenHi<T>(bv);
          b += 16;
        }
        let av = v128.load32_splat(a0);
        c00 = i32x4.add(c00, i32x4.dot_i16x8_s(av, blo));
        c01 = i32x4.add(c01, i32x4.dot_i16x8_s(av, bhi));
        av = v128.load32_splat(a0, 4);
        c10 = i32x4.add(c10, i32x4.dot_i16x8_s(av, blo));
        c11 = i32x4.add(c11, i32x4.dot_i16x8_s(av, bhi));
        av = v128.load32_splat(a0, 8);
        c20 = i32x4.add(c20, i32x4.dot_i16x8_s(av, blo));
        c21 = i32x4.add(c21, i32x4.dot_i16x8_s(av, bhi));
        av = v128.load32_splat(a0, 12);
        c30 = i32x4.add(c30, i32x4.dot_i16x8_s(av, blo));
        c31 = i32x4.add(c31, i32x4.dot_i16x8_s(av, bhi));
      }
      const crow = c + <usize>(i * ldc * 4);
      const ldcb = <usize>(ldc * 4);
      storeRow(crow, j0, N, c00, c01, zb0, zb1, load<i32>(rowsum + <usize>(i * 4)));
      storeRow(crow + ldcb, j0, N, c10, c11, zb0, zb1, load<i32>(rowsum + <usize>(i * 4 + 4)));
      storeRow(crow + 2 * ldcb, j0, N, c20, c21, zb0, zb1, load<i32>(rowsum + <usize>(i * 4 + 8)));
      storeRow(crow + 3 * ldcb, j0, N, c30, c31, zb0, zb1, load<i32>(rowsum + <usize>(i * 4 + 12)));
    }
    for (; i < M; i++) {
      let a0 = a16 + <usize>i * lda;
      let b = bpanel;
      let c00 = i32x4.splat(0), c01 = i32x4.splat(0);
      for (let kk = 0; kk < Kp2; kk++) {
        const av = v128.load32_splat(a0);
        if (sizeof<T>() == 2) {
          c00 = i32x4.add(c00, i32x4.dot_i16x8_s(av, v128.load(b)));
          c01 = i32x4.add(c01, i32x4.dot_i16x8_s(av, v128.load(b, 16)));
          b += 32;
        } else {
          const bv = v128.load(b);
          c00 = i32x4.add(c00, i32x4.dot_i16x8_s(av, widenLo<T>(bv)));
          c01 = i32x4.add(c01, i32x4.dot_i16x8_s(av, widenHi<T>(bv)));
          b += 16;
        }
        a0 += 4;
      }
      storeRow(c + <usize>(i * ldc * 4), j0, N, c00, c01, zb0, zb1, load<i32>(rowsum + <usize>(i * 4)));
    }
  }
}

/**
 * C[M,N] (i32, row stride ldc elements) from the widened A (qprepA) and packed B (qpackB). zb: i32 per column,
 * padded to a multiple of 8 columns (zeros when B has no zero point); rowsum from qprepA. bp16: B widened by
 * qwidenB, or 0; used when M >= 4 (GEMV calls read bp).
 */
export function qgemm(a16: usize, M: i32, K: i32, bp: usize, N: i32, signedB: bool, c: usize, ldc: i32, zb: usize, rowsum: usize, bp16: usize): void {
  if (M < 4) {
    if (signedB) qgemvT<i8>(a16, M, K, bp, N, c, ldc, zb, rowsum);
    else qgemvT<u8>(a16, M, K, bp, N, c, ldc, zb, rowsum);
  } else if (bp16) qgemmT<i16>(a16, M, K, bp16, N, c, ldc, zb, rowsum);
  else if (signedB) qgemmT<i8>(a16, M, K, bp, N, c, ldc, zb, rowsum);
  else qgemmT<u8>(a16, M, K, bp, N, c, ldc, zb, rowsum);
}
