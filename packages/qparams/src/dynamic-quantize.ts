import { QParamsError } from './qparams-error.js';
import { roundHalfEven } from './round.js';

/** Result of {@link dynamicQuantize}: uint8 values, the float32 scale and the uint8 zero point. */
export interface DynamicQuantized {
  readonly y: Uint8Array;
  readonly scale: number;
  readonly zeroPoint: number;
}

/**
 * Reference ONNX DynamicQuantizeLinear (opset 11), uint8, bit-exact with the ONNX backend tests. All float32:
 * - `rmin = min(0, min(x))`, `rmax = max(0, max(x))` (the range always holds 0);
 * - `scale = (rmax - rmin) / 255`, or 1 where that is 0: every element 0 (the ONNX reference's rule), or a range
 *   under 255 * 2^-150 (about 3.6e-43, subnormal values only) where the division underflows. ONNX leaves that case
 *   undefined (a zero scale divides by zero; onnxruntime returns zero point 255 and y 255 or 0 by sign); here such
 *   values are as good as zero at 8 bits and quantize as zeros do: scale 1, zero point 0, y all 0;
 * - `zero_point = roundHalfEven(clamp(0 - rmin / scale, 0, 255))`;
 * - `y = clamp(roundHalfEven(x / scale) + zero_point, 0, 255)`.
 *
 * Worked example: x = [0, 2, -3, -2.5, 1.34, 0.5]: rmin = -3, rmax = 2, scale = 5/255 = 0.019607844,
 * zero point = round(3 / 0.019607844 = 153) = 153, y = [153, 255, 0, 26, 221, 179].
 *
 * @throws QParamsError for an empty input or a NaN/infinite element (ONNX leaves those undefined), naming its index.
 */
export function dynamicQuantize(x: ArrayLike<number>): DynamicQuantized {
  const where = 'dynamicQuantize';
  if (x.length === 0) throw new QParamsError({ param: 'x.length', value: 0, expected: 'at least one element' }, where);
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < x.length; i++) {
    const v = Math.fround(x[i]);
    if (!Number.isFinite(v)) throw new QParamsError({ param: `x[${i}]`, value: v, expected: 'a finite float32' }, where);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const rmin = Math.fround(lo);
  const rmax = Math.fround(hi);
  const spread = Math.fround(Math.fround(rmax - rmin) / 255);
  const scale = spread === 0 ? 1 : spread;
  const initial = Math.fround(0 - Math.fround(rmin / scale));
  const zeroPoint = roundHalfEven(initial < 0 ? 0 : initial > 255 ? 255 : initial);
  const y = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const q = roundHalfEven(Math.fround(Math.fround(x[i]) / scale)) + zeroPoint;
    y[i] = q < 0 ? 0 : q > 255 ? 255 : q;
  }
  return { y, scale, zeroPoint };
}
