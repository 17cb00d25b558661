/**
 * requantize: int32 accumulator -> 8-bit (or any integer range) with a float multiplier, the output stage of
 * QLinearMatMul and QLinearConv (and of the integer kernels that optimized backends fuse).
 *
 *   q = clamp(roundHalfEven(fround(fround(acc) * multiplier)) + zeroPoint, qmin, qmax)
 *
 * - `acc` is converted to float32 first (exact below 2^24 in magnitude, rounded to nearest even above), then
 *   multiplied in float32: the same float32 arithmetic as ONNX Runtime's requantize stage.
 * - Rounding is ties-to-even (2.5 -> 2, 3.5 -> 4, -2.5 -> -2), then the zero point is added, then saturation.
 * - +-Infinity saturates to qmax / qmin. NaN (a NaN multiplier) gives the zero point clamped to the range, as if 0.
 *
 * `multiplier` is usually `fround(fround(x_scale * w_scale) / y_scale)` (see `requantMultiplier`).
 *
 * Example: acc 300, multiplier 0.0125, zero point 10, uint8: 300 * 0.0125 = 3.75 -> 4 -> 14.
 * acc 100, multiplier 0.025: fround(0.025) is 0.025000000373, but the float32 product rounds to exactly 2.5, a tie,
 * which goes to even: 2 -> 12 (a double product would give 2.50000004 -> 3 -> 13).
 */
import { roundHalfEven } from '@lowbit/qparams';

export function requantize(acc: number, multiplier: number, zeroPoint: number, qmin: number, qmax: number): number {
  const v = Math.fround(Math.fround(acc) * multiplier);
  const q = v !== v ? zeroPoint : roundHalfEven(v) + zeroPoint;
  return q < qmin ? qmin : q > qmax ? qmax : q;
}

/**
 * The requantization multiplier `fround(fround(inScaleA * inScaleB) / outScale)` in float32 (`precision` float32), or
 * in float16 arithmetic when the scales are float16 (each operation rounded to float16, as the ONNX reference
 * computes with float16 scale arrays). `round16` maps a double to the nearest float16 value.
 */
export function requantMultiplier(scaleA: number, scaleB: number, outScale: number, round16?: (v: number) => number): number {
  if (round16) return round16(round16(scaleA * scaleB) / outScale);
  return Math.fround(Math.fround(scaleA * scaleB) / outScale);
}
