// The 7-bit integer GEMM on relaxed SIMD: i32x4.relaxed_dot_i8x16_i7x16_add_s multiplies 16 signed bytes by 16 bytes
// in [0, 127] and adds groups of four products into i32 lanes; with the second operand in [0, 127] every engine
// computes the same exact result (x86: pmaddubsw cannot saturate, 2 * 127 * 128 < 32768).
//
// Operands are shifted into those ranges: a' = a - offA (offA 128 for uint8 A, 0 for int8) and b' = b + offB (offB 64
// for int8 B, 0 for uint8 B); the caller checks once, at create, that every b' is in [0, 127] (7-bit weights).
// With u[i] = offA - za[i] and v[j] = offB + zb[j]:
//   sum_k (a - za)(b - zb) = D[i,j] + u[i] * cs[j] - v[j] * (rs[i] + K * u[i]),
// D = sum a'b', rs[i] = sum_k a'[i,k], cs[j] = sum_k b'[k,j]; all in wrapping i32 arithmetic (exact modulo 2^32,
// like the reference).
//
// Node 20's V8 (11.3, relaxed SIMD behind a flag) miscomputes i32x4.relaxed_dot_i8x16_i7x16_add_s (it ignores the
// accumulator and returns twice the dot product), so the module also has a form built on
// i16x8.relaxed_dot_i8x16_i7x16_s + i32x4.dot_i16x8_s with ones + i32x4.add (the same three x86 instructions the
// fused op lowers to without VNNI), and `relaxedDotAddWorks()` lets the loader pick the fused form only where it is
// right. Exactness of the split form: each i16 lane is a'*b' + a'*b' with |a'| <= 128, b' <= 127: |sum| <= 32512.
//
// Packed B: panels of 8 columns, k in groups of 4; per group 32 bytes: columns 0-3 (4 bytes each: k..k+3) then 4-7.

/** Bytes of a packed 7-bit B of K x N. */
export function q7packBSize(K: i32, N: i32): i32 {
  return ((N + 7) >> 3) * ((K + 3) >> 2) * 32;
}

/** Packs b' = b + offB (b 8-bit, row stride ldb) and writes cs[j] = sum_k b' (i32, padded to 8 columns with 0). */
export function q7packB(src: usize, K: i32, N: i32, ldb: i32, signedB: bool, dst: usize, cs: usize): void {
  const K4 = (K + 3) >> 2;
  const panels = (N + 7) >> 3;
  const off: i32 = signedB ? 64 : 0;
  for (let j = 0; j < panels * 8; j++) store<i32>(cs + <usize>(j * 4), 0);
  for (let p = 0; p < panels; p++) {
    const base = dst + <usize>(p * K4 * 32);
    for (let g = 0; g < K4; g++) {
      for (let j = 0; j < 8; j++) {
        const col = p * 8 + j;
        for (let t = 0; t < 4; t++) {
          const k = g * 4 + t;
          let v: i32 = 0;
          if (col < N && k < K) {
            v = (signedB ? <i32>load<i8>(src + <usize>(k * ldb + col)) : <i32>load<u8>(src + <usize>(k * ldb + col))) + off;
            store<i32>(cs + <usize>(col * 4), load<i32>(cs + <usize>(col * 4)) + v);
          }
          store<u8>(base + <usize>(g * 32 + j * 4 + t), <u8>v);
        }
      }
    }
  }
}

/**
 * a' = a - offA as int8 rows of K4*4 bytes (padding 0); r[i] = rs[i] + K * u[i] and u[i] = offA - za[i] (i32 each).
 * Rows of each full block of four are interleaved per group of 4 k (group g of row 4b+r at block + g*16 + r*4), as
 * qprepA's, so the 4-row kernel walks A with one pointer; rows after the last full block are plain.
 */
export function q7prepA(src: usize, M: i32, K: i32, lda: i32, signedA: bool, za: usize, zaPerRow: bool, dst: usize, u: usize, r: usize): void {
  const Kp = ((K + 3) >> 2) * 4;
  const off: i32 = signedA ? 0 : 128;
  const M4 = M & ~3;
  for (let i = 0; i < M; i++) {
    const s = src + <usize>(i * lda);
    const d = i < M4 ? dst + <usize>((i & ~3) * Kp + (i & 3) * 4) : dst + <usize>(i * Kp);
    const step: i32 = i < M4 ? 16 : 4;
    let sum: i32 = 0;
    for (let k = 0; k < K; k++) {
      const a: i32 = signedA ? <i32>load<i8>(s + <usize>k) : <i32>load<u8>(s + <usize>k) - 128;
      store<i8>(d + <usize>((k >> 2) * step + (k & 3)), <i8>a);
      sum += a;
    }
    for (let k = K; k < Kp; k++) store<i8>(d + <usize>((k >> 2) * step + (k & 3)), 0);
    const ui = off - load<i32>(za + (zaPerRow ? <usize>(i * 4) : 0));
    store<i32>(u + <usize>(i * 4), ui);
    store<i32>(r + <usize>(i * 4), sum + K * ui);
  }
}

// @ts-ignore: decorator
@inline function storeRow7(dst: usize, j0: i32, N: i32, d0: v128, d1: v128, cs0: v128, cs1: v128, v0: v128, v1: v128, ui: i32, ri: i32): void {
  const uu = i32x4.splat(ui);
  const rr = i32x4.splat(ri);
  const o0 = i32x4.sub(i32x4.add(d0, i32x4.mul(uu, cs0)), i32x4.mul(v0, rr));
  const o1 = i32x4.sub(i32x4.add(d1, i32x4.mul(uu, cs1)), i32x4.mul(v1, rr));
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

// @ts-ignore: decorator
@inline function dot4<T>(a: v128, b: v128, c: v128, ones: v128): v128 {
  if (sizeof<T>() == 4) return i32x4.relaxed_dot_i8x16_i7x16_add_s(a, b, c);
  // Pairwise widening add of the i16 dot as i32x4.dot_i16x8_s with ones (one pmaddwd, ones kept in a register).
  return i32x4.add(c, i32x4.dot_i16x8_s(i16x8.relaxed_dot_i8x16_i7x16_s(a, b), ones));
}

/**
 * True when the engine's i32x4.relaxed_dot_i8x16_i7x16_add_s gives the specified result on a probe. The operands go
 * through memory at `scratch` (48 bytes) so the optimizer cannot fold the probe at compile time.
 */
export function relaxedDotAddWorks(scratch: usize): bool {
  v128.store(scratch, i8x16(1, 2, 3, 4, 5, 6, 7, 8, -9, -10, -11, -12, -13, -14, -15, -128));
  v128.store(scratch, i8x16(1, 2, 3, 4, 127, 1, 2, 3, 4, 5, 6, 7, 100, 110, 120, 127), 16);
  v128.store(scratch, i32x4(1000, -1000, 7, 0), 32);
  const r = i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.load(scratch), v128.load(scratch, 16), v128.load(scratch, 32));
  return i32x4.extract_lane(r, 0) == 1030 && i32x4.extract_lane(r, 1) == -1000 + 635 + 6 + 14 + 24
    && i32x4.extract_lane(r, 2) == 7 - 36 - 50 - 66 - 84 && i32x4.extract_lane(r, 3) == -1300 - 1540 - 1800 - 16256;
}

/** C[M,N] (i32, row stride ldc) from q7prepA's a', u, r and q7packB's panels and cs; v: i32 per column (padded to 8). */
export function q7gemm(a8: usize, M: i32, K: i32, bp: usize, N: i32, c: usize, ldc: i32, cs: usize, v: usize, u: usize, r: usize, fused: bool): void {
  if (fused) q7gemmT<i32>(a8, M, K, bp, N, c, ldc, cs, v, u, r);
  else q7gemmT<i16>(a8, M, K, bp, N, c, ldc, cs, v, u, r);
}

/** Few rows (M < 4): four panels at a time per row (four B streams in flight), as qgemm's GEMV path. */
function q7gemvT<T>(a8: usize, M: i32, K: i32, bp: usize, N: i32, c: usize, ldc: i32, cs: usize, v: usize, u: usize, r: usize): void {
  const K4 = (K + 3) >> 2;
  const lda = <usize>(K4 * 4);
  const panels = (N + 7) >> 3;
  const stride = <usize>(K4 * 32);
  const ones = i16x8.splat(1);
  for (let i = 0; i < M; i++) {
    const crow = c + <usize>(i * ldc * 4);
    const ui = load<i32>(u + <usize>(i * 4));
    const ri = load<i32>(r + <usize>(i * 4));
    let p = 0;
    for (; p + 4 <= panels; p += 4) {
      let b = bp + <usize>p * stride;
      let a0 = a8 + <usize>i * lda;
      let c00 = i32x4.splat(0), c01 = i32x4.splat(0), c10 = i32x4.splat(0), c11 = i32x4.splat(0);
      let c20 = i32x4.splat(0), c21 = i32x4.splat(0), c30 = i32x4.splat(0), c31 = i32x4.splat(0);
      for (let g = 0; g < K4; g++) {
        const av = v128.load32_splat(a0);
        c00 = dot4<T>(av, v128.load(b), c00, ones);
        c01 = dot4<T>(av, v128.load(b, 16), c01, ones);
        c10 = dot4<T>(av, v128.load(b + stride), c10, ones);
        c11 = dot4<T>(av, v128.load(b + stride, 16), c11, ones);
        c20 = dot4<T>(av, v128.load(b + 2 * stride), c20, ones);
        c21 = dot4<T>(av, v128.load(b + 2 * stride, 16), c21, ones);
        c30 = dot4<T>(av, v128.load(b + 3 * stride), c30, ones);
        c31 = dot4<T>(av, v128.load(b + 3 * stride, 16), c31, ones);
        b += 32;
        a0 += 4;
      }
      for (let q = 0; q < 4; q++) {
        const j0 = (p + q) * 8;
        const lo = q == 0 ? c00 : q == 1 ? c10 : q == 2 ? c20 : c30;
        const hi = q == 0 ? c01 : q == 1 ? c11 : q == 2 ? c21 : c31;
        storeRow7(crow + <usize>(j0 * 4), j0, N, lo, hi, v128.load(cs + <usize>(j0 * 4)), v128.load(cs + <usize>(j0 * 4), 16), v128.load(v + <usize>(j0 * 4)), v128.load(v + <usize>(j0 * 4), 16), ui, ri);
      }
    }
    for (; p < panels; p++) {
      let b = bp + <usize>p * stride;
      let a0 = a8 + <usize>i * lda;
      let c00 = i32x4.splat(0), c01 = i32x4.splat(0);
      for (let g = 0; g < K4; g++) {
        const av = v128.load32_splat(a0);
        c00 = dot4<T>(av, v128.load(b), c00, ones);
        c01 = dot4<T>(av, v128.load(b, 16), c01, ones);
        b += 32;
        a0 += 4;
      }
      const j0 = p * 8;
      storeRow7(crow + <usize>(j0 * 4), j0, N, c00, c01, v128.load(cs + <usize>(j0 * 4)), v128.load(cs + <usize>(j0 * 4), 16), v128.load(v + <usize>(j0 * 4)), v128.load(v + <usize>(j0 * 4), 16), ui, ri);
    }
  }
}

function q7gemmT<T>(a8: usize, M: i32, K: i32, bp: usize, N: i32, c: usize, ldc: i32, cs: usize, v: usize, u: usize, r: usize): void {
  if (M < 4) {
    q7gemvT<T>(a8, M, K, bp, N, c, ldc, cs, v, u, r);
    return;
  }
  const K4 = (K + 3) >> 2;
  const lda = <usize>(K4 * 4);
  const ldcb = <usize>(ldc * 4);
  const panels = (N + 7) >> 3;
  const ones = i16x8.splat(1);
  for (let p = 0; p < panels; p++) {
    const bpanel = bp + <usize>(p * K4 * 32);
    const j0 = p * 8;
    const cs0 = v128.load(cs + <usize>(j0 * 4));
    const cs1 = v128.load(cs + <usize>(j0 * 4), 16);
    const v0 = v128.load(v + <usize>(j0 * 4));
    const v1 = v128.load(v + <usize>(j0 * 4), 16);
    let i = 0;
    for (; i + 4 <= M; i += 4) {
      let a0 = a8 + <usize>i * lda;
      const aend = a0 + <usize>(K4 * 16);
      let b = bpanel;
      let c00 = i32x4.splat(0), c01 = i32x4.splat(0);
      let c10 = i32x4.splat(0), c11 = i32x4.splat(0);
      let c20 = i32x4.splat(0), c21 = i32x4.splat(0);
      let c30 = i32x4.splat(0), c31 = i32x4.splat(0);
      for (; a0 < aend; a0 += 16) {
        const b0 = v128.load(b);
        const b1 = v128.load(b, 16);
        let av = v128.load32_splat(a0);
        c00 = dot4<T>(av, b0, c00, ones);
        c01 = dot4<T>(av, b1, c01, ones);
        av = v128.load32_splat(a0, 4);
        c10 = dot4<T>(av, b0, c10, ones);
        c11 = dot4<T>(av, b1, c11, ones);
        av = v128.load32_splat(a0, 8);
        c20 = dot4<T>(av, b0, c20, ones);
        c21 = dot4<T>(av, b1, c21, ones);
        av = v128.load32_splat(a0, 12);
        c30 = dot4<T>(av, b0, c30, ones);
        c31 = dot4<T>(av, b1, c31, ones);
        b += 32;
      }
      const crow = c + <usize>i * ldcb + <usize>(j0 * 4);
      storeRow7(crow, j0, N, c00, c01, cs0, cs1, v0, v1, load<i32>(u + <usize>(i * 4)), load<i32>(r + <usize>(i * 4)));
      storeRow7(crow + ldcb, j0, N, c10, c11, cs0, cs1, v0, v1, load<i32>(u + <usize>(i * 4 + 4)), load<i32>(r + <usize>(i * 4 + 4)));
      storeRow7(crow + 2 * ldcb, j0, N, c20, c21, cs0, cs1, v0, v1, load<i32>(u + <usize>(i * 4 + 8)), load<i32>(r + <usize>(i * 4 + 8)));
      storeRow7(crow + 3 * ldcb, j0, N, c30, c31, cs0, cs1, v0, v1, load<i32>(u + <usize>(i * 4 + 12)), load<i32>(r + <usize>(i * 4 + 12)));
    }
    for (; i < M; i++) {
      let a0 = a8 + <usize>i * lda;
      let b = bpanel;
      let c00 = i32x4.splat(0), c01 = i32x4.splat(0);
      for (let g = 0; g < K4; g++) {
        const av = v128.load32_splat(a0);
        c00 = dot4<T>(av, v128.load(b), c00, ones);
        c01 = dot4<T>(av, v128.load(b, 16), c01, ones);
        b += 32;
        a0 += 4;
      }
      storeRow7(c + <usize>i * ldcb + <usize>(j0 * 4), j0, N, c00, c01, cs0, cs1, v0, v1, load<i32>(u + <usize>(i * 4)), load<i32>(r + <usize>(i * 4)));
    }
  }
}
