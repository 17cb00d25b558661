// Convolution helpers: im2col straight into the packed-B panel layout of sgemm.ts, and a direct depthwise kernel.
import { storeF32Lanes } from './store';

/**
 * im2col of one group into sgemm's packed panels: B[k, n] with k = (c, kh, kw) in that order (the reference's tap
 * order) and n = (oh, ow); taps in the padding are 0. x points at the group's first channel plane [Cg, H, W].
 * Panel by panel (8 output positions, written as 32 contiguous bytes per k); when the 8 positions lie in one output
 * row and their taps inside the input, stride 1 and 2 read them with vector loads.
 */
export function im2colPacked(x: usize, Cg: i32, H: i32, W: i32, KH: i32, KW: i32, sh: i32, sw: i32, dh: i32, dw: i32, ph: i32, pw: i32, OH: i32, OW: i32, dst: usize): void {
  const N = OH * OW;
  let d = dst;
  for (let n0 = 0; n0 < N; n0 += 8) {
    const oh0 = n0 / OW;
    const ow0 = n0 - oh0 * OW;
    const oneRow = ow0 + 8 <= OW;
    for (let c = 0; c < Cg; c++) {
      const plane = x + <usize>(c * H * W * 4);
      for (let kh = 0; kh < KH; kh++) {
        for (let kw = 0; kw < KW; kw++) {
          if (oneRow) {
            const ih = oh0 * sh - ph + kh * dh;
            const iw0 = ow0 * sw - pw + kw * dw;
            const iw7 = iw0 + 7 * sw;
            if (ih >= 0 && ih < H && iw0 >= 0 && iw7 < W && sw <= 2) {
              const s = plane + <usize>((ih * W + iw0) * 4);
              if (sw == 1) {
                v128.store(d, v128.load(s));
                v128.store(d, v128.load(s, 16), 16);
              } else {
                v128.store(d, i32x4.shuffle(v128.load(s), v128.load(s, 16), 0, 2, 4, 6));
                // The last tap (iw0 + 14) is the last element read: load 3 + 1 elements ending there.
                v128.store(d, i32x4.shuffle(v128.load(s, 32), v128.load(s, 44), 0, 2, 5, 7), 16);
              }
              d += 32;
              continue;
            }
          }
          for (let t = 0; t < 8; t++) {
            const n = n0 + t;
            let v: f32 = 0;
            if (n < N) {
              const oh = n / OW;
              const ow = n - oh * OW;
              const ih = oh * sh - ph + kh * dh;
              const iw = ow * sw - pw + kw * dw;
              if (ih >= 0 && ih < H && iw >= 0 && iw < W) v = load<f32>(plane + <usize>((ih * W + iw) * 4));
            }
            store<f32>(d + <usize>(t * 4), v);
          }
          d += 32;
        }
      }
    }
  }
}

/**
 * Depthwise 2-D convolution of one channel: y[oh, ow] = sum_{kh, kw} fround(xpad * w) accumulated in float32 in
 * (kh, kw) order from +0, plus bias. xpad is the zero-padded plane [Hp, Wp] (padding already applied,
 * Wp >= (OW+3)*sw + (KW-1)*dw + 8). `row` is scratch of ceil4(OW) floats.
 *
 * 3x3 with stride 2 across (dilation 1) keeps the nine weights in registers. Other kernels accumulate one output row
 * at a time in `row`, one kernel row (kh) per pass, the kw taps of four outputs per step: each step is independent of
 * the previous one (no long add chain), and the stride branch sits outside the loops; with stride 1 a 3- or 5-wide
 * kernel row keeps its weights in registers (1.6x faster than the nine-register 3x3 kernel there).
 */
export function depthwise(xpad: usize, Hp: i32, Wp: i32, w: usize, KH: i32, KW: i32, sh: i32, sw: i32, dh: i32, dw: i32, OH: i32, OW: i32, bias: f32, y: usize, row: usize): void {
  if (KH == 3 && KW == 3 && dh == 1 && dw == 1 && sw == 2) {
    depthwise3x3(xpad, Wp, w, sh, sw, OH, OW, bias, y);
    return;
  }
  const bv = f32x4.splat(bias);
  const zero = f32x4.splat(0);
  const OW4 = (OW + 3) & ~3;
  const rowB = <usize>(Wp * 4);
  for (let oh = 0; oh < OH; oh++) {
    for (let ow = 0; ow < OW4; ow += 4) v128.store(row + <usize>(ow * 4), zero);
    for (let kh = 0; kh < KH; kh++) {
      const xrow = xpad + <usize>(oh * sh + kh * dh) * rowB;
      const wrow = w + <usize>(kh * KW * 4);
      if (sw == 1 && KW == 5 && dw == 1) {
        // The common 5x5: the row's five weights stay in registers.
        const w0 = v128.load32_splat(wrow), w1 = v128.load32_splat(wrow, 4), w2 = v128.load32_splat(wrow, 8);
        const w3 = v128.load32_splat(wrow, 12), w4 = v128.load32_splat(wrow, 16);
        for (let ow = 0; ow < OW4; ow += 4) {
          const dst = row + <usize>(ow * 4);
          const xp = xrow + <usize>(ow * 4);
          let acc = f32x4.add(v128.load(dst), f32x4.mul(v128.load(xp), w0));
          acc = f32x4.add(acc, f32x4.mul(v128.load(xp, 4), w1));
          acc = f32x4.add(acc, f32x4.mul(v128.load(xp, 8), w2));
          acc = f32x4.add(acc, f32x4.mul(v128.load(xp, 12), w3));
          acc = f32x4.add(acc, f32x4.mul(v128.load(xp, 16), w4));
          v128.store(dst, acc);
        }
      } else if (sw == 1 && KW == 3 && dw == 1) {
        const w0 = v128.load32_splat(wrow), w1 = v128.load32_splat(wrow, 4), w2 = v128.load32_splat(wrow, 8);
        for (let ow = 0; ow < OW4; ow += 4) {
          const dst = row + <usize>(ow * 4);
          const xp = xrow + <usize>(ow * 4);
          let acc = f32x4.add(v128.load(dst), f32x4.mul(v128.load(xp), w0));
          acc = f32x4.add(acc, f32x4.mul(v128.load(xp, 4), w1));
          acc = f32x4.add(acc, f32x4.mul(v128.load(xp, 8), w2));
          v128.store(dst, acc);
        }
      } else if (sw == 1) {
        for (let ow = 0; ow < OW4; ow += 4) {
          const dst = row + <usize>(ow * 4);
          let acc = v128.load(dst);
          let xp = xrow + <usize>(ow * 4);
          for (let kw = 0; kw < KW; kw++) {
            acc = f32x4.add(acc, f32x4.mul(v128.load(xp), v128.load32_splat(wrow + <usize>(kw * 4))));
            xp += <usize>(dw * 4);
          }
          v128.store(dst, acc);
        }
      } else if (sw == 2) {
        for (let ow = 0; ow < OW4; ow += 4) {
          const dst = row + <usize>(ow * 4);
          let acc = v128.load(dst);
          let xp = xrow + <usize>(ow * 8);
          for (let kw = 0; kw < KW; kw++) {
            const xv = i32x4.shuffle(v128.load(xp), v128.load(xp, 16), 0, 2, 4, 6);
            acc = f32x4.add(acc, f32x4.mul(xv, v128.load32_splat(wrow + <usize>(kw * 4))));
            xp += <usize>(dw * 4);
          }
          v128.store(dst, acc);
        }
      } else {
        const s4 = <usize>(sw * 4);
        for (let ow = 0; ow < OW4; ow += 4) {
          const dst = row + <usize>(ow * 4);
          let acc = v128.load(dst);
          let xp = xrow + <usize>(ow * sw * 4);
          for (let kw = 0; kw < KW; kw++) {
            let xv = f32x4.splat(load<f32>(xp));
            xv = f32x4.replace_lane(xv, 1, load<f32>(xp + s4));
            xv = f32x4.replace_lane(xv, 2, load<f32>(xp + 2 * s4));
            xv = f32x4.replace_lane(xv, 3, load<f32>(xp + 3 * s4));
            acc = f32x4.add(acc, f32x4.mul(xv, v128.load32_splat(wrow + <usize>(kw * 4))));
            xp += <usize>(dw * 4);
          }
          v128.store(dst, acc);
        }
      }
    }
    const yrow = y + <usize>(oh * OW * 4);
    let ow = 0;
    for (; ow + 4 <= OW; ow += 4) v128.store(yrow + <usize>(ow * 4), f32x4.add(v128.load(row + <usize>(ow * 4)), bv));
    for (; ow < OW; ow++) store<f32>(yrow + <usize>(ow * 4), load<f32>(row + <usize>(ow * 4)) + bias);
  }
}

/**
 * Every channel of a depthwise convolution (group = C, one filter per channel) over `planes` = N*C planes: each plane
 * padded into `pad` (see padPlane), then `depthwise` with its channel's weights and bias (bias 0: none).
 */
export function depthwisePlanes(x: usize, planes: i32, C: i32, H: i32, W: i32, pad: usize, Hp: i32, Wp: i32, pt: i32, pl: i32, w: usize, KH: i32, KW: i32, sh: i32, sw: i32, dh: i32, dw: i32, OH: i32, OW: i32, bias: usize, y: usize, row: usize): void {
  for (let p = 0; p < planes; p++) {
    const c = p % C;
    padPlane(x + <usize>(p * H * W * 4), H, W, pad, Hp, Wp, pt, pl);
    depthwise(pad, Hp, Wp, w + <usize>(c * KH * KW * 4), KH, KW, sh, sw, dh, dw, OH, OW, bias ? load<f32>(bias + <usize>(c * 4)) : 0, y + <usize>(p * OH * OW * 4), row);
  }
}

/** Copies plane [H, W] into a zeroed [Hp, Wp] buffer at (pt, pl). */
export function padPlane(x: usize, H: i32, W: i32, dst: usize, Hp: i32, Wp: i32, pt: i32, pl: i32): void {
  memory.fill(dst, 0, <usize>(Hp * Wp * 4));
  for (let h = 0; h < H; h++) {
    memory.copy(dst + <usize>(((h + pt) * Wp + pl) * 4), x + <usize>(h * W * 4), <usize>(W * 4));
  }
}

// @ts-ignore: decorator
@inline function tap(base: usize, sw: i32, off: i32): v128 {
  const p = base + <usize>(off * 4);
  if (sw == 1) return v128.load(p);
  return i32x4.shuffle(v128.load(p), v128.load(p, 16), 0, 2, 4, 6);
}

/** depthwise for 3x3 kernels, dilation 1, stride 2 across (or 1): the nine weights stay in registers. */
function depthwise3x3(xpad: usize, Wp: i32, w: usize, sh: i32, sw: i32, OH: i32, OW: i32, bias: f32, y: usize): void {
  const bv = f32x4.splat(bias);
  const w0 = v128.load32_splat(w), w1 = v128.load32_splat(w, 4), w2 = v128.load32_splat(w, 8);
  const w3 = v128.load32_splat(w, 12), w4 = v128.load32_splat(w, 16), w5 = v128.load32_splat(w, 20);
  const w6 = v128.load32_splat(w, 24), w7 = v128.load32_splat(w, 28), w8 = v128.load32_splat(w, 32);
  const rowB = <usize>(Wp * 4);
  for (let oh = 0; oh < OH; oh++) {
    const yrow = y + <usize>(oh * OW * 4);
    const r0 = xpad + <usize>(oh * sh) * rowB;
    const r1 = r0 + rowB;
    const r2 = r1 + rowB;
    for (let ow = 0; ow < OW; ow += 4) {
      const o = ow * sw;
      let acc = f32x4.mul(tap(r0, sw, o), w0);
      acc = f32x4.add(f32x4.splat(0), acc);
      acc = f32x4.add(acc, f32x4.mul(tap(r0, sw, o + 1), w1));
      acc = f32x4.add(acc, f32x4.mul(tap(r0, sw, o + 2), w2));
      acc = f32x4.add(acc, f32x4.mul(tap(r1, sw, o), w3));
      acc = f32x4.add(acc, f32x4.mul(tap(r1, sw, o + 1), w4));
      acc = f32x4.add(acc, f32x4.mul(tap(r1, sw, o + 2), w5));
      acc = f32x4.add(acc, f32x4.mul(tap(r2, sw, o), w6));
      acc = f32x4.add(acc, f32x4.mul(tap(r2, sw, o + 1), w7));
      acc = f32x4.add(acc, f32x4.mul(tap(r2, sw, o + 2), w8));
      acc = f32x4.add(acc, bv);
      const dst = yrow + <usize>(ow * 4);
      storeF32Lanes(dst, acc, OW - ow);
    }
  }
}

/**
 * im2row of one group for the integer convolution: row n = (oh, ow) holds K = Cg*KH*KW bytes in (c, kh, kw) order;
 * taps in the padding hold `pad` (the input zero point, so they contribute 0 after its subtraction).
 */
export function im2row8(x: usize, Cg: i32, H: i32, W: i32, KH: i32, KW: i32, sh: i32, sw: i32, dh: i32, dw: i32, ph: i32, pw: i32, OH: i32, OW: i32, pad: u8, dst: usize): void {
  let d = dst;
  for (let oh = 0; oh < OH; oh++) {
    for (let ow = 0; ow < OW; ow++) {
      for (let c = 0; c < Cg; c++) {
        const plane = x + <usize>(c * H * W);
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * sh - ph + kh * dh;
          const rowOk = ih >= 0 && ih < H;
          for (let kw = 0; kw < KW; kw++) {
            const iw = ow * sw - pw + kw * dw;
            store<u8>(d, rowOk && iw >= 0 && iw < W ? load<u8>(plane + <usize>(ih * W + iw)) : pad);
            d++;
          }
        }
      }
    }
  }
}
