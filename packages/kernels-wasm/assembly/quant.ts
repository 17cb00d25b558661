// Quantization kernels (per-tensor parameters), each bit-exact with @lowbit/qparams / the reference kernels:
// division and products in float32, round half to even (f32x4.nearest), saturation; NaN gives qmin (as
// onnxruntime and @lowbit/qparams).

// @ts-ignore: decorator
@inline function storeBytes(y: usize, q: v128, signedOut: bool): void {
  // q holds integers already clamped to the output range: narrowing is exact.
  const h = i16x8.narrow_i32x4_s(q, q);
  const b = signedOut ? i8x16.narrow_i16x8_s(h, h) : i8x16.narrow_i16x8_u(h, h);
  v128.store32_lane(y, b, 0);
}

// @ts-ignore: decorator
@inline function finishQ(v: v128, zp: v128, lo: v128, hi: v128): v128 {
  // Round half to even, add the zero point, saturate, to i32; NaN lanes give qmin.
  const r = f32x4.min(f32x4.max(f32x4.add(f32x4.nearest(v), zp), lo), hi);
  return i32x4.trunc_sat_f32x4_s(v128.bitselect(r, lo, f32x4.eq(v, v)));
}

// @ts-ignore: decorator
@inline function finish1(v: f32, zp: f32, lo: f32, hi: f32): i32 {
  if (v != v) return <i32>lo;
  let r: f32 = nearest<f32>(v) + zp;
  r = r < lo ? lo : r > hi ? hi : r;
  return <i32>r;
}

/** y = saturate(roundHalfEven(fround(x / scale)) + zp) as 8-bit (signedOut: int8, else uint8). */
export function quantize(x: usize, n: i32, scale: f32, zp: f32, qmin: f32, qmax: f32, signedOut: bool, y: usize): void {
  const s = f32x4.splat(scale);
  const z = f32x4.splat(zp);
  const lo = f32x4.splat(qmin);
  const hi = f32x4.splat(qmax);
  let i = 0;
  for (; i + 4 <= n; i += 4) storeBytes(y + <usize>i, finishQ(f32x4.div(v128.load(x + <usize>(i * 4)), s), z, lo, hi), signedOut);
  for (; i < n; i++) store<i8>(y + <usize>i, <i8>finish1(load<f32>(x + <usize>(i * 4)) / scale, zp, qmin, qmax));
}

/** y = fround((x - zp) * scale) for 8-bit x (signedIn: int8, else uint8). */
export function dequantize(x: usize, n: i32, signedIn: bool, zp: i32, scale: f32, y: usize): void {
  const z = i32x4.splat(zp);
  const s = f32x4.splat(scale);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const b = v128.load32_zero(x + <usize>i);
    const w = signedIn ? i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(b)) : i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(b));
    v128.store(y + <usize>(i * 4), f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(w, z)), s));
  }
  for (; i < n; i++) {
    const v: i32 = signedIn ? <i32>load<i8>(x + <usize>i) : <i32>load<u8>(x + <usize>i);
    store<f32>(y + <usize>(i * 4), <f32>(v - zp) * scale);
  }
}

/** out[0] = min(x), out[1] = max(x) (NaN propagates); n >= 1. */
export function minMax(x: usize, n: i32, out: usize): void {
  let lo = f32x4.splat(load<f32>(x));
  let hi = lo;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + <usize>(i * 4));
    lo = f32x4.min(lo, v);
    hi = f32x4.max(hi, v);
  }
  let a = min<f32>(min<f32>(f32x4.extract_lane(lo, 0), f32x4.extract_lane(lo, 1)), min<f32>(f32x4.extract_lane(lo, 2), f32x4.extract_lane(lo, 3)));
  let b = max<f32>(max<f32>(f32x4.extract_lane(hi, 0), f32x4.extract_lane(hi, 1)), max<f32>(f32x4.extract_lane(hi, 2), f32x4.extract_lane(hi, 3)));
  for (; i < n; i++) {
    const v = load<f32>(x + <usize>(i * 4));
    a = min<f32>(a, v);
    b = max<f32>(b, v);
  }
  store<f32>(out, a);
  store<f32>(out, b, 4);
}

/**
 * Requantization of an int32 [M, N] accumulator to 8 bits: y = saturate(roundHalfEven(fround(fround(acc + bias[j]) *
 * mult[j])) + zp), mult per column (N float32, padded to a multiple of 4), finite multipliers (the caller checks);
 * bias: int32 per column (padded likewise) added with int32 wrap-around, or 0 for none.
 */
export function requantize(acc: usize, M: i32, N: i32, mult: usize, bias: usize, zp: f32, qmin: f32, qmax: f32, signedOut: bool, y: usize): void {
  const z = f32x4.splat(zp);
  const lo = f32x4.splat(qmin);
  const hi = f32x4.splat(qmax);
  for (let i = 0; i < M; i++) {
    const a = acc + <usize>(i * N * 4);
    const o = y + <usize>(i * N);
    let j = 0;
    for (; j + 4 <= N; j += 4) {
      let q = v128.load(a + <usize>(j * 4));
      if (bias) q = i32x4.add(q, v128.load(bias + <usize>(j * 4)));
      const v = f32x4.mul(f32x4.convert_i32x4_s(q), v128.load(mult + <usize>(j * 4)));
      storeBytes(o + <usize>j, finishQ(v, z, lo, hi), signedOut);
    }
    for (; j < N; j++) {
      const q = load<i32>(a + <usize>(j * 4)) + (bias ? load<i32>(bias + <usize>(j * 4)) : 0);
      store<i8>(o + <usize>j, <i8>finish1(<f32>q * load<f32>(mult + <usize>(j * 4)), zp, qmin, qmax));
    }
  }
}
