// Element-wise float32 kernels. Each is bit-exact with the reference: one IEEE float32 operation per element.

/** y = max(x, 0) with NaN kept and -0 -> +0 (the reference's `x > 0 ? x : x === x ? 0 : x`). */
export function relu(x: usize, n: i32, y: usize): void {
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(y + <usize>(i * 4), f32x4.max(v128.load(x + <usize>(i * 4)), z));
  for (; i < n; i++) {
    const v = load<f32>(x + <usize>(i * 4));
    store<f32>(y + <usize>(i * 4), v > 0 ? v : v != v ? v : 0);
  }
}

/** y = min(max(v, lo), hi) as r = v < lo ? lo : v; r > hi ? hi : r (NaN kept, -0 kept; hi wins when lo > hi). */
export function clip(x: usize, n: i32, lo: f32, hi: f32, y: usize): void {
  const l = f32x4.splat(lo);
  const h = f32x4.splat(hi);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(y + <usize>(i * 4), f32x4.pmin(f32x4.pmax(v128.load(x + <usize>(i * 4)), l), h));
  for (; i < n; i++) {
    let v = load<f32>(x + <usize>(i * 4));
    v = v < lo ? lo : v;
    v = v > hi ? hi : v;
    store<f32>(y + <usize>(i * 4), v);
  }
}

// @ts-ignore: decorator
@inline function op4(op: i32, a: v128, b: v128): v128 {
  if (op == 0) return f32x4.add(a, b);
  if (op == 1) return f32x4.sub(a, b);
  if (op == 2) return f32x4.mul(a, b);
  return f32x4.div(a, b);
}

// @ts-ignore: decorator
@inline function op1(op: i32, a: f32, b: f32): f32 {
  if (op == 0) return a + b;
  if (op == 1) return a - b;
  if (op == 2) return a * b;
  return a / b;
}

/**
 * y[o*inner + i] = a[..] op b[..] for op 0 add, 1 sub, 2 mul, 3 div. Broadcast patterns by strides: a and b each
 * advance by (aOuter, aInner) / (bOuter, bInner) elements per outer / inner step (0 = broadcast).
 */
export function binary(op: i32, a: usize, aOuter: i32, aInner: i32, b: usize, bOuter: i32, bInner: i32, outer: i32, inner: i32, y: usize): void {
  for (let o = 0; o < outer; o++) {
    const pa = a + <usize>(o * aOuter * 4);
    const pb = b + <usize>(o * bOuter * 4);
    const py = y + <usize>(o * inner * 4);
    let i = 0;
    if (aInner == 1 && bInner == 1) {
      for (; i + 4 <= inner; i += 4) v128.store(py + <usize>(i * 4), op4(op, v128.load(pa + <usize>(i * 4)), v128.load(pb + <usize>(i * 4))));
    } else if (aInner == 1 && bInner == 0) {
      const bv = v128.load32_splat(pb);
      for (; i + 4 <= inner; i += 4) v128.store(py + <usize>(i * 4), op4(op, v128.load(pa + <usize>(i * 4)), bv));
    } else if (aInner == 0 && bInner == 1) {
      const av = v128.load32_splat(pa);
      for (; i + 4 <= inner; i += 4) v128.store(py + <usize>(i * 4), op4(op, av, v128.load(pb + <usize>(i * 4))));
    }
    for (; i < inner; i++) {
      store<f32>(py + <usize>(i * 4), op1(op, load<f32>(pa + <usize>(i * aInner * 4)), load<f32>(pb + <usize>(i * bInner * 4))));
    }
  }
}
