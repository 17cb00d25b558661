// 2-D MaxPool and AveragePool over [planes, H, W], each plane first copied into a padded scratch plane (padding
// -Infinity for max, +0 for average), then every window read without bounds checks, four outputs of a row per vector.
//
// Bit-exact with the reference (kernels/src/nn/pool.ts):
// - max: the reference keeps the first in-bounds tap and replaces it by a later tap v when `v > acc` or when v is NaN
//   and acc is not. Starting from -Infinity with the same update over every tap of the padded window (row-major)
//   gives the same bits: a -Infinity padding tap never replaces anything, and an in-bounds tap replaces the
//   -Infinity start exactly when the reference's first tap would have been taken (or equals it). Signed zeros keep
//   the first one seen, NaN the first NaN, as the reference.
// - average: the reference sums the in-bounds taps in row-major order in float32 from +0 (so the sum is never -0);
//   adding +0 for the padding taps in between changes no bit. The divisor (counted taps) is separable for a box
//   window, cntH[oh] * cntW[ow], computed by the caller.
import { storeF32Lanes } from './store';

/** Copies plane [H, W] into [Hp, Wp] at (pt, pl), every other element `fill`. */
function padFill(x: usize, H: i32, W: i32, dst: usize, Hp: i32, Wp: i32, pt: i32, pl: i32, fill: f32): void {
  const fv = f32x4.splat(fill);
  const total = Hp * Wp;
  let i = 0;
  for (; i + 4 <= total; i += 4) v128.store(dst + <usize>(i * 4), fv);
  for (; i < total; i++) store<f32>(dst + <usize>(i * 4), fill);
  for (let h = 0; h < H; h++) memory.copy(dst + <usize>(((h + pt) * Wp + pl) * 4), x + <usize>(h * W * 4), <usize>(W * 4));
}

// @ts-ignore: decorator
@inline function tap(p: usize, sw: i32): v128 {
  if (sw == 1) return v128.load(p);
  if (sw == 2) return i32x4.shuffle(v128.load(p), v128.load(p, 16), 0, 2, 4, 6);
  let v = f32x4.splat(load<f32>(p));
  v = f32x4.replace_lane(v, 1, load<f32>(p + <usize>(sw * 4)));
  v = f32x4.replace_lane(v, 2, load<f32>(p + <usize>(sw * 8)));
  return f32x4.replace_lane(v, 3, load<f32>(p + <usize>(sw * 12)));
}

/**
 * Pools `planes` planes of [H, W] at x into y ([planes, OH, OW]). The padded scratch plane `pad` is [Hp, Wp] with the
 * input at (pt, pl); the caller sizes it so every window of every output, rounded up to 4 outputs per row, lies inside
 * (Wp >= (ceil4(OW) - 1) * sw + (KW - 1) * dw + 1 + 4 for stride 2's paired loads). isMax: 1 max, 0 average (then
 * cnt holds OH + ceil4(OW) float32 counts: cntH[0..OH) then cntW).
 */
export function pool2d(x: usize, planes: i32, H: i32, W: i32, pad: usize, Hp: i32, Wp: i32, pt: i32, pl: i32, KH: i32, KW: i32, sh: i32, sw: i32, dh: i32, dw: i32, OH: i32, OW: i32, isMax: i32, cnt: usize, y: usize): void {
  const fill: f32 = isMax ? -Infinity : 0;
  const start = f32x4.splat(fill);
  const rowB = <usize>(Wp * 4);
  const cntW = cnt + <usize>(OH * 4);
  for (let pn = 0; pn < planes; pn++) {
    padFill(x + <usize>(pn * H * W * 4), H, W, pad, Hp, Wp, pt, pl, fill);
    const yp = y + <usize>(pn * OH * OW * 4);
    for (let oh = 0; oh < OH; oh++) {
      const yrow = yp + <usize>(oh * OW * 4);
      const r0 = pad + <usize>(oh * sh) * rowB;
      const ch = isMax ? f32x4.splat(0) : v128.load32_splat(cnt + <usize>(oh * 4));
      for (let ow = 0; ow < OW; ow += 4) {
        const c0 = r0 + <usize>(ow * sw * 4);
        let acc = start;
        for (let kh = 0; kh < KH; kh++) {
          const rp = c0 + <usize>(kh * dh) * rowB;
          for (let kw = 0; kw < KW; kw++) {
            const v = tap(rp + <usize>(kw * dw * 4), sw);
            if (isMax) {
              const take = v128.or(f32x4.gt(v, acc), v128.and(f32x4.ne(v, v), f32x4.eq(acc, acc)));
              acc = v128.bitselect(v, acc, take);
            } else acc = f32x4.add(acc, v);
          }
        }
        if (!isMax) acc = f32x4.div(acc, f32x4.mul(ch, v128.load(cntW + <usize>(ow * 4))));
        const dst = yrow + <usize>(ow * 4);
        storeF32Lanes(dst, acc, OW - ow);
      }
    }
  }
}
