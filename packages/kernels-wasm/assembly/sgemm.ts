// Float GEMM: C[M,N] = A[M,K] x B[K,N] in float32, B packed once into panels of 8 columns ([p][k][8] floats).
//
// Every output element has its own accumulator lane and k runs 0..K-1 in order, each product rounded to float32
// (f32x4.mul) and then added (f32x4.add): exactly the reference MatMul's `acc = fround(acc + fround(a * b))`, so the
// result is bit-identical to the scalar reference (no FMA, no reassociation, no K splitting).
//
// For M >= 4 the full 4-row blocks of A are first copied into a caller-given scratch interleaved per k (block b, k:
// 16 bytes [A(4b,k), A(4b+1,k), A(4b+2,k), A(4b+3,k)]): the 4 x 8 kernel then walks A with one pointer and constant
// offsets (V8 keeps fewer live addresses in the loop); the copy is O(M*K) against the O(M*N*K) product.

/** Bytes of a packed float B of K x N. */
export function spackBSize(K: i32, N: i32): i32 {
  return ((N + 7) >> 3) * K * 32;
}

/**
 * Packs B (float32, element (k, j) at src + (k*rs + j*cs)*4) into 8-column panels; padding columns are 0.
 * rs/cs give row-major (N, 1) or transposed (1, K) sources.
 */
export function spackB(src: usize, K: i32, N: i32, rs: i32, cs: i32, dst: usize): void {
  const panels = (N + 7) >> 3;
  for (let p = 0; p < panels; p++) {
    const base = dst + <usize>(p * K * 32);
    const j0 = p * 8;
    const full = j0 + 8 <= N && cs == 1;
    for (let k = 0; k < K; k++) {
      const d = base + <usize>(k * 32);
      if (full) {
        const s = src + <usize>((k * rs + j0) * 4);
        v128.store(d, v128.load(s));
        v128.store(d, v128.load(s, 16), 16);
      } else {
        for (let j = 0; j < 8; j++) {
          const col = j0 + j;
          store<f32>(d + <usize>(j * 4), col < N ? load<f32>(src + <usize>((k * rs + col * cs) * 4)) : 0);
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline function storeF(dst: usize, j0: i32, N: i32, lo: v128, hi: v128): void {
  if (j0 + 8 <= N) {
    v128.store(dst, lo);
    v128.store(dst, hi, 16);
  } else {
    const n = N - j0;
    if (n > 0) store<f32>(dst, f32x4.extract_lane(lo, 0));
    if (n > 1) store<f32>(dst, f32x4.extract_lane(lo, 1), 4);
    if (n > 2) store<f32>(dst, f32x4.extract_lane(lo, 2), 8);
    if (n > 3) store<f32>(dst, f32x4.extract_lane(lo, 3), 12);
    if (n > 4) store<f32>(dst, f32x4.extract_lane(hi, 0), 16);
    if (n > 5) store<f32>(dst, f32x4.extract_lane(hi, 1), 20);
    if (n > 6) store<f32>(dst, f32x4.extract_lane(hi, 2), 24);
  }
}

/** Bytes of the A scratch sgemm needs: the full 4-row blocks of an M x K A. */
export function sscratchASize(M: i32, K: i32): i32 {
  return (M & ~3) * K * 4;
}

/**
 * C[M,N] (row stride ldc elements) = A x packed B. A element (i, k) is at a + (i*lda + k)*4. Exact k-ascending
 * float32 sums (see the file note). With bias != 0, bias[i] (float32 per row) is added to every sum of row i with one
 * more float32 rounding (the reference Conv's bias step). scratch: sscratchASize(M, K) bytes (unused when M < 4).
 */
export function sgemm(a: usize, lda: i32, M: i32, K: i32, bp: usize, N: i32, c: usize, ldc: i32, bias: usize, scratch: usize): void {
  if (M < 4) {
    sgemv(a, lda, M, K, bp, N, c, ldc, bias);
    return;
  }
  const panels = (N + 7) >> 3;
  const ldab = <usize>(lda * 4);
  const ldcb = <usize>(ldc * 4);
  const M4 = M & ~3;
  for (let i = 0; i < M4; i += 4) {
    const s = a + <usize>i * ldab;
    const d = scratch + <usize>(i * K * 4);
    for (let k = 0; k < K; k++) {
      const o = <usize>(k * 4);
      store<f32>(d + <usize>(k * 16), load<f32>(s + o));
      store<f32>(d + <usize>(k * 16), load<f32>(s + ldab + o), 4);
      store<f32>(d + <usize>(k * 16), load<f32>(s + 2 * ldab + o), 8);
      store<f32>(d + <usize>(k * 16), load<f32>(s + 3 * ldab + o), 12);
    }
  }
  const kb = <usize>(K * 16);
  for (let p = 0; p < panels; p++) {
    const bpanel = bp + <usize>(p * K * 32);
    const j0 = p * 8;
    let i = 0;
    for (; i < M4; i += 4) {
      let a0 = scratch + <usize>(i * K * 4);
      const aend = a0 + kb;
      let b = bpanel;
      let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
      let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
      let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
      let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
      for (; a0 < aend; a0 += 16) {
        const b0 = v128.load(b);
        const b1 = v128.load(b, 16);
        let av = v128.load32_splat(a0);
        c00 = f32x4.add(c00, f32x4.mul(av, b0));
        c01 = f32x4.add(c01, f32x4.mul(av, b1));
        av = v128.load32_splat(a0, 4);
        c10 = f32x4.add(c10, f32x4.mul(av, b0));
        c11 = f32x4.add(c11, f32x4.mul(av, b1));
        av = v128.load32_splat(a0, 8);
        c20 = f32x4.add(c20, f32x4.mul(av, b0));
        c21 = f32x4.add(c21, f32x4.mul(av, b1));
        av = v128.load32_splat(a0, 12);
        c30 = f32x4.add(c30, f32x4.mul(av, b0));
        c31 = f32x4.add(c31, f32x4.mul(av, b1));
        b += 32;
      }
      if (bias) {
        let bv = v128.load32_splat(bias + <usize>(i * 4));
        c00 = f32x4.add(c00, bv);
        c01 = f32x4.add(c01, bv);
        bv = v128.load32_splat(bias + <usize>(i * 4 + 4));
        c10 = f32x4.add(c10, bv);
        c11 = f32x4.add(c11, bv);
        bv = v128.load32_splat(bias + <usize>(i * 4 + 8));
        c20 = f32x4.add(c20, bv);
        c21 = f32x4.add(c21, bv);
        bv = v128.load32_splat(bias + <usize>(i * 4 + 12));
        c30 = f32x4.add(c30, bv);
        c31 = f32x4.add(c31, bv);
      }
      const crow = c + <usize>i * ldcb + <usize>(j0 * 4);
      storeF(crow, j0, N, c00, c01);
      storeF(crow + ldcb, j0, N, c10, c11);
      storeF(crow + 2 * ldcb, j0, N, c20, c21);
      storeF(crow + 3 * ldcb, j0, N, c30, c31);
    }
    for (; i < M; i++) {
      let a0 = a + <usize>i * ldab;
      let b = bpanel;
      let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
      for (let k = 0; k < K; k++) {
        const av = v128.load32_splat(a0);
        c00 = f32x4.add(c00, f32x4.mul(av, v128.load(b)));
        c01 = f32x4.add(c01, f32x4.mul(av, v128.load(b, 16)));
        b += 32;
        a0 += 4;
      }
      if (bias) {
        const bv = v128.load32_splat(bias + <usize>(i * 4));
        c00 = f32x4.add(c00, bv);
        c01 = f32x4.add(c01, bv);
      }
      storeF(c + <usize>i * ldcb + <usize>(j0 * 4), j0, N, c00, c01);
    }
  }
}

/** Few rows (M < 4): each row walks four panels at once (four B streams in flight, A loaded once per four). */
function sgemv(a: usize, lda: i32, M: i32, K: i32, bp: usize, N: i32, c: usize, ldc: i32, bias: usize): void {
  const panels = (N + 7) >> 3;
  const stride = <usize>(K * 32);
  for (let i = 0; i < M; i++) {
    const arow = a + <usize>(i * lda * 4);
    const crow = c + <usize>(i * ldc * 4);
    const bv = bias ? v128.load32_splat(bias + <usize>(i * 4)) : f32x4.splat(0);
    let p = 0;
    for (; p + 4 <= panels; p += 4) {
      let b = bp + <usize>p * stride;
      let a0 = arow;
      let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
      let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
      for (let k = 0; k < K; k++) {
        const av = v128.load32_splat(a0);
        c00 = f32x4.add(c00, f32x4.mul(av, v128.load(b)));
        c01 = f32x4.add(c01, f32x4.mul(av, v128.load(b, 16)));
        c10 = f32x4.add(c10, f32x4.mul(av, v128.load(b + stride)));
        c11 = f32x4.add(c11, f32x4.mul(av, v128.load(b + stride, 16)));
        c20 = f32x4.add(c20, f32x4.mul(av, v128.load(b + 2 * stride)));
        c21 = f32x4.add(c21, f32x4.mul(av, v128.load(b + 2 * stride, 16)));
        c30 = f32x4.add(c30, f32x4.mul(av, v128.load(b + 3 * stride)));
        c31 = f32x4.add(c31, f32x4.mul(av, v128.load(b + 3 * stride, 16)));
        b += 32;
        a0 += 4;
      }
      if (bias) {
        c00 = f32x4.add(c00, bv); c01 = f32x4.add(c01, bv); c10 = f32x4.add(c10, bv); c11 = f32x4.add(c11, bv);
        c20 = f32x4.add(c20, bv); c21 = f32x4.add(c21, bv); c30 = f32x4.add(c30, bv); c31 = f32x4.add(c31, bv);
      }
      const j0 = p * 8;
      storeF(crow + <usize>(j0 * 4), j0, N, c00, c01);
      storeF(crow + <usize>(j0 * 4 + 32), j0 + 8, N, c10, c11);
      storeF(crow + <usize>(j0 * 4 + 64), j0 + 16, N, c20, c21);
      storeF(crow + <usize>(j0 * 4 + 96), j0 + 24, N, c30, c31);
    }
    for (; p < panels; p++) {
      let b = bp + <usize>p * stride;
      let a0 = arow;
      let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
      for (let k = 0; k < K; k++) {
        const av = v128.load32_splat(a0);
        c00 = f32x4.add(c00, f32x4.mul(av, v128.load(b)));
        c01 = f32x4.add(c01, f32x4.mul(av, v128.load(b, 16)));
        b += 32;
        a0 += 4;
      }
      if (bias) {
        c00 = f32x4.add(c00, bv);
        c01 = f32x4.add(c01, bv);
      }
      const j0 = p * 8;
      storeF(crow + <usize>(j0 * 4), j0, N, c00, c01);
    }
  }
}

/**
 * Gemm's epilogue in place: C[i,j] = fround(alpha * C[i,j]) + fround(beta * bias[i*brs + j*bcs]) (each step rounded
 * to float32, as the reference). With hasBias false only the alpha scaling is applied (skipped when alpha is 1).
 */
export function sepilogue(c: usize, M: i32, N: i32, ldc: i32, alpha: f32, hasBias: bool, beta: f32, bias: usize, brs: i32, bcs: i32): void {
  for (let i = 0; i < M; i++) {
    const row = c + <usize>(i * ldc * 4);
    for (let j = 0; j < N; j++) {
      let v = load<f32>(row + <usize>(j * 4));
      if (alpha != 1) v = alpha * v;
      if (hasBias) v = v + beta * load<f32>(bias + <usize>((i * brs + j * bcs) * 4));
      store<f32>(row + <usize>(j * 4), v);
    }
  }
}
