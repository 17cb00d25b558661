// Per-channel normalisation and pooling kernels, each bit-exact with the reference's float32 operation sequence.

/**
 * BatchNormalization (inference) over [N, C, plane]: y = ((x - mean[c]) / den[c]) * scale[c] + bias[c], every step
 * rounded to float32 (den[c] = fround(sqrt(fround(var[c] + eps))) is computed by the caller, as the reference does).
 * params: 4 float32 per channel (mean, den, scale, bias).
 */
export function batchNorm(x: usize, N: i32, C: i32, plane: i32, params: usize, y: usize): void {
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const p = params + <usize>(c * 16);
      const m = load<f32>(p);
      const d = load<f32>(p, 4);
      const s = load<f32>(p, 8);
      const b = load<f32>(p, 12);
      const mv = f32x4.splat(m);
      const dv = f32x4.splat(d);
      const sv = f32x4.splat(s);
      const bv = f32x4.splat(b);
      const off = <usize>((n * C + c) * plane * 4);
      const xs = x + off;
      const ys = y + off;
      let j = 0;
      for (; j + 4 <= plane; j += 4) {
        const v = v128.load(xs + <usize>(j * 4));
        v128.store(ys + <usize>(j * 4), f32x4.add(f32x4.mul(f32x4.div(f32x4.sub(v, mv), dv), sv), bv));
      }
      for (; j < plane; j++) store<f32>(ys + <usize>(j * 4), ((load<f32>(xs + <usize>(j * 4)) - m) / d) * s + b);
    }
  }
}

/**
 * GlobalAveragePool over rows of `plane`: y[r] = fround(sum / plane), the sum in float32 in order (as the reference).
 * Four rows at a time, their four in-order sums interleaved (independent add chains instead of one).
 */
export function globalAvgPool(x: usize, rows: i32, plane: i32, y: usize): void {
  const pb = <usize>(plane * 4);
  const n = <f32>plane;
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const x0 = x + <usize>r * pb;
    const x1 = x0 + pb;
    const x2 = x1 + pb;
    const x3 = x2 + pb;
    let a0: f32 = 0, a1: f32 = 0, a2: f32 = 0, a3: f32 = 0;
    for (let j = 0; j < plane; j++) {
      const o = <usize>(j * 4);
      a0 += load<f32>(x0 + o);
      a1 += load<f32>(x1 + o);
      a2 += load<f32>(x2 + o);
      a3 += load<f32>(x3 + o);
    }
    store<f32>(y + <usize>(r * 4), a0 / n);
    store<f32>(y + <usize>(r * 4), a1 / n, 4);
    store<f32>(y + <usize>(r * 4), a2 / n, 8);
    store<f32>(y + <usize>(r * 4), a3 / n, 12);
  }
  for (; r < rows; r++) {
    const xs = x + <usize>r * pb;
    let acc: f32 = 0;
    for (let j = 0; j < plane; j++) acc += load<f32>(xs + <usize>(j * 4));
    store<f32>(y + <usize>(r * 4), acc / n);
  }
}
