// Convolution helpers: im2col straight into the packed-B panel layout of sgemm.ts, and a direct depthwise kernel.

/**
 * im2col of one group into sgemm's packed panels: B[k, n] with k = (c, kh, kw) in that order (the reference's tap
 * order) and n = (oh, ow); taps in the padding are 0. x points at the group's first channel plane [Cg, H, W].
 */
export function im2colPacked(x: usize, Cg: i32, H: i32, W: i32, KH: i32, KW: i32, sh: i32, sw: i32, dh: i32, dw: i32, ph: i32, pw: i32, OH: i32, OW: i32, dst: usize): void {
  const K = Cg * KH * KW;
  const N = OH * OW;
  const panels = (N + 7) >> 3;
  // Zero the padding lanes of the last panel (the loop below only writes n < N).
  if (N & 7) {
    const last = dst + <usize>((panels - 1) * K * 32);
    memory.fill(last, 0, <usize>(K * 32));
  }
  let k = 0;
  for (let c = 0; c < Cg; c++) {
    const plane = x + <usize>(c * H * W * 4);
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        const kOff = <usize>(k * 32);
        let n = 0;
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * sh - ph + kh * dh;
          const rowOk = ih >= 0 && ih < H;
          const src = plane + <usize>(ih * W * 4);
          for (let ow = 0; ow < OW; ow++) {
            const iw = ow * sw - pw + kw * dw;
            const v: f32 = rowOk && iw >= 0 && iw < W ? load<f32>(src + <usize>(iw * 4)) : 0;
            store<f32>(dst + <usize>((n >> 3) * K * 32) + kOff + <usize>((n & 7) * 4), v);
            n++;
          }
        }
        k++;
      }
    }
  }
}

/**
 * Depthwise 2-D convolution of one channel: y[oh, ow] = sum_{kh, kw} fround(xpad * w) accumulated in float32 in
 * (kh, kw) order, plus bias. xpad is the zero-padded plane [Hp, Wp] (padding already applied, Wp >= (OW+3)*sw + (KW-1)*dw + 1).
 */
export function depthwise(xpad: usize, Hp: i32, Wp: i32, w: usize, KH: i32, KW: i32, sh: i32, sw: i32, dh: i32, dw: i32, OH: i32, OW: i32, bias: f32, y: usize): void {
  const bv = f32x4.splat(bias);
  for (let oh = 0; oh < OH; oh++) {
    const yrow = y + <usize>(oh * OW * 4);
    for (let ow = 0; ow < OW; ow += 4) {
      let acc = f32x4.splat(0);
      for (let kh = 0; kh < KH; kh++) {
        const xrow = xpad + <usize>(((oh * sh + kh * dh) * Wp) * 4);
        for (let kw = 0; kw < KW; kw++) {
          const wv = v128.load32_splat(w + <usize>((kh * KW + kw) * 4));
          const base = xrow + <usize>((ow * sw + kw * dw) * 4);
          let xv: v128;
          if (sw == 1) xv = v128.load(base);
          else if (sw == 2) xv = i32x4.shuffle(v128.load(base), v128.load(base, 16), 0, 2, 4, 6);
          else {
            xv = f32x4.splat(load<f32>(base));
            xv = f32x4.replace_lane(xv, 1, load<f32>(base + <usize>(sw * 4)));
            xv = f32x4.replace_lane(xv, 2, load<f32>(base + <usize>(sw * 8)));
            xv = f32x4.replace_lane(xv, 3, load<f32>(base + <usize>(sw * 12)));
          }
          acc = f32x4.add(acc, f32x4.mul(xv, wv));
        }
      }
      acc = f32x4.add(acc, bv);
      const dst = yrow + <usize>(ow * 4);
      if (ow + 4 <= OW) v128.store(dst, acc);
      else {
        const n = OW - ow;
        store<f32>(dst, f32x4.extract_lane(acc, 0));
        if (n > 1) store<f32>(dst, f32x4.extract_lane(acc, 1), 4);
        if (n > 2) store<f32>(dst, f32x4.extract_lane(acc, 2), 8);
      }
    }
  }
}

/** Copies plane [H, W] into a zeroed [Hp, Wp] buffer at (pt, pl). */
export function padPlane(x: usize, H: i32, W: i32, dst: usize, Hp: i32, Wp: i32, pt: i32, pl: i32): void {
  memory.fill(dst, 0, <usize>(Hp * Wp * 4));
  for (let h = 0; h < H; h++) {
    memory.copy(dst + <usize>(((h + pt) * Wp + pl) * 4), x + <usize>(h * W * 4), <usize>(W * 4));
  }
}
