/**
 * The direct-convolution loop nest shared by Conv (float), ConvInteger and QLinearConv (integer).
 *
 * On the 3-D view of `window.ts` (`x` is `[N, C, D, H, W]`, `w` is `[M, C/group, kD, kH, kW]`):
 *
 *   acc[n, m, od, oh, ow] += sum over c < C/group, kd, kh, kw of
 *       x[n, g*C/group + c, od*sd - pd + kd*dd, oh*sh - ph + kh*dh, ow*sw - pw + kw*dw] * w[m, c, kd, kh, kw]
 *
 * with `g = floor(m / (M/group))`; taps that land in the padding contribute nothing (zero padding).
 *
 * Accumulation order per output element: c, then kd, kh, kw (the natural order), one `acc[o] += x*w` per tap.
 * The precision is the accumulator's storage: with a Float32Array each step stores `fround(acc + x*w)` (the product
 * of two float32 values is exact in a double, so this is a fused multiply-add rounded to float32 once per tap);
 * with a Float64Array it is double arithmetic; with an Int32Array the sum wraps modulo 2^32 like an int32
 * register (exact for any realistic 8-bit convolution: |x*w| <= 65536 and 32768 taps fit).
 * Zero weights are not skipped, so NaN/Inf in `x` propagate as IEEE arithmetic says (0 * Inf = NaN).
 */
import type { Window3 } from './window.js';

export type NumArray = Float32Array | Float64Array | Int32Array;

export interface ConvShape {
  readonly batch: number;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly group: number;
  readonly win: Window3;
}

export function convAccumulate(x: ArrayLike<number>, w: ArrayLike<number>, acc: NumArray, s: ConvShape): void {
  const { batch, inChannels: C, outChannels: M, group, win } = s;
  const [D, H, W] = win.inShape;
  const [KD, KH, KW] = win.kernel;
  const [OD, OH, OW] = win.outShape;
  const [sd, sh, sw] = win.strides;
  const [dd, dh, dw] = win.dilations;
  const [pd, ph, pw] = win.padBegin;
  const Cg = C / group;
  const Mg = M / group;
  const inPlane = D * H * W;
  const outPlane = OD * OH * OW;
  const kSize = KD * KH * KW;
  for (let n = 0; n < batch; n++) {
    for (let m = 0; m < M; m++) {
      const g = Math.floor(m / Mg);
      const oBase = (n * M + m) * outPlane;
      for (let c = 0; c < Cg; c++) {
        const xBase = (n * C + g * Cg + c) * inPlane;
        const wBase = (m * Cg + c) * kSize;
        for (let kd = 0; kd < KD; kd++) {
          for (let kh = 0; kh < KH; kh++) {
            for (let kw = 0; kw < KW; kw++) {
              const wv = w[wBase + (kd * KH + kh) * KW + kw];
              const offW = kw * dw - pw;
              const owLo = Math.max(0, Math.ceil(-offW / sw));
              const owHi = Math.min(OW - 1, Math.floor((W - 1 - offW) / sw));
              if (owLo > owHi) continue;
              for (let od = 0; od < OD; od++) {
                const id = od * sd - pd + kd * dd;
                if (id < 0 || id >= D) continue;
                for (let oh = 0; oh < OH; oh++) {
                  const ih = oh * sh - ph + kh * dh;
                  if (ih < 0 || ih >= H) continue;
                  const xRow = xBase + (id * H + ih) * W + offW;
                  const oRow = oBase + (od * OH + oh) * OW;
                  for (let ow = owLo; ow <= owHi; ow++) acc[oRow + ow] += x[xRow + ow * sw] * wv;
                }
              }
            }
          }
        }
      }
    }
  }
}
