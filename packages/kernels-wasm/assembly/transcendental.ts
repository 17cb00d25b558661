// Float32 transcendental approximations (SIMD128), each with an error bound checked against the reference:
// exp on (-inf, 0] by Cody-Waite reduction r = y - n*ln2 (|r| <= ln2/2), a degree-7 polynomial for e^r, and 2^n applied
// in two exact steps so subnormal results round once; Sigmoid from it.

// @ts-ignore: decorator
@inline function pow2(k: v128): v128 {
  return i32x4.shl(i32x4.add(k, i32x4.splat(127)), 23);
}

/** e^y for y <= 0 (NaN stays NaN; y < -104 gives 0 or the smallest subnormal, as e^y rounds there). */
// @ts-ignore: decorator
@inline function expNonPos(y0: v128): v128 {
  const y = f32x4.max(y0, f32x4.splat(-104));
  const n = f32x4.nearest(f32x4.mul(y, f32x4.splat(1.44269504)));
  let r = f32x4.sub(y, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.98412698e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.38888889e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.33333333e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.16666667e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.66666667e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.5));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1));
  const k = i32x4.trunc_sat_f32x4_s(n);
  const k1 = i32x4.shr_s(k, 1);
  return f32x4.mul(f32x4.mul(p, pow2(k1)), pow2(i32x4.sub(k, k1)));
}

/**
 * y = 1 / (1 + e^-x): with e = e^-|x|, 1/(1+e) for x >= 0 and e/(1+e) for x < 0 (so tiny results keep their bits).
 * NaN stays NaN, sigmoid(+inf) = 1, sigmoid(-inf) = 0.
 */
export function sigmoid(x: usize, n: i32, y: usize): void {
  const one = f32x4.splat(1);
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i < n; i += 4) {
    const m = n - i;
    let v: v128;
    if (m >= 4) v = v128.load(x + <usize>(i * 4));
    else {
      v = f32x4.splat(load<f32>(x + <usize>(i * 4)));
      if (m > 1) v = f32x4.replace_lane(v, 1, load<f32>(x + <usize>(i * 4), 4));
      if (m > 2) v = f32x4.replace_lane(v, 2, load<f32>(x + <usize>(i * 4), 8));
    }
    const e = expNonPos(f32x4.neg(f32x4.abs(v)));
    const d = f32x4.add(one, e);
    const s = v128.bitselect(f32x4.div(one, d), f32x4.div(e, d), f32x4.ge(v, zero));
    if (m >= 4) v128.store(y + <usize>(i * 4), s);
    else {
      store<f32>(y + <usize>(i * 4), f32x4.extract_lane(s, 0));
      if (m > 1) store<f32>(y + <usize>(i * 4), f32x4.extract_lane(s, 1), 4);
      if (m > 2) store<f32>(y + <usize>(i * 4), f32x4.extract_lane(s, 2), 8);
    }
  }
}
