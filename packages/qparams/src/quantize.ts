import { allocQuant, isFloatQuantDType, type QuantStorage } from './dtypes.js';
import { float32ToFloat16, float16ToFloat32, float32ToBfloat16, bfloat16ToFloat32, smallFloatFormat, type Float8Kind } from './float-bits.js';
import { paramIndexMap, sizeOf } from './layout.js';
import { numberToMiniFloat } from './minifloat.js';
import { QParamsError } from './qparams-error.js';
import { type QuantParams, resolveParams } from './quant-params.js';
import { roundHalfEven } from './round.js';

/** Float format in which `x / scale` is computed (ONNX: the scale's type, or the `precision` attribute). */
export type DivisionPrecision = 'float32' | 'float16' | 'bfloat16';

export interface QuantizeOptions {
  /** Float8 outputs only (ONNX `saturate`, default true): out-of-range values become +-max instead of Inf/NaN. */
  readonly saturate?: boolean;
  /**
   * Precision of `x / scale` (default float32; ONNX: the scale's type, or the opset 23+ `precision` attribute).
   * For float16/bfloat16, x and the scale are rounded to that type first, then divided and rounded again.
   */
  readonly precision?: DivisionPrecision;
}

/** Rounds a double to the given float format's nearest value (RNE). */
export function roundToPrecision(v: number, p: DivisionPrecision): number {
  if (p === 'float32') return Math.fround(v);
  if (p === 'float16') return float16ToFloat32(float32ToFloat16(v));
  return bfloat16ToFloat32(float32ToBfloat16(v));
}

/**
 * `x / scale` in the given precision: both operands rounded to it, one division, the quotient rounded to it (a
 * double division of two float32/float16/bfloat16 values rounds correctly once rounded to that format).
 */
function divide(x: number, s: number, p: DivisionPrecision): number {
  if (p === 'float32') return Math.fround(Math.fround(x) / s);
  return roundToPrecision(roundToPrecision(x, p) / roundToPrecision(s, p), p);
}

/**
 * Reference ONNX QuantizeLinear (opsets 10, 13, 19, 21, 23, 25), bit-exact with the ONNX backend tests.
 *
 * Integer dtypes: `y = saturate(roundHalfEven(x / scale) + zero_point)` where `x / scale` is one float32 division
 * (`Math.fround`), rounding is ties-to-even, and saturation clamps to the dtype range (uint8 [0, 255], int8
 * [-128, 127], uint16, int16, uint4 [0, 15], int4 [-8, 7], uint2 [0, 3], int2 [-2, 1]), narrowed by
 * `params.qmin`/`qmax` when given (not an ONNX feature). +-Infinity saturates.
 * NaN inputs (undefined in ONNX) give the lower bound qmin, as onnxruntime and the numpy reference (on x86) do.
 *
 * Float8 dtypes: `y = cast(x / scale)` with round-to-nearest-even and `saturate` (default true: overflow and +-Inf
 * become +-max; false: Inf for e5m2, NaN otherwise); NaN stays NaN. The zero point must be 0 (ONNX ignores it);
 * a non-zero one is added before the cast. float4e2m1: `y = cast(x / scale + zero_point)`, always saturating.
 *
 * Granularity follows the parameters' shape (see `resolveLayout`): per-tensor, per-axis (`axis`), blocked
 * (`axis` + `blockSize`, a shorter last block allowed as in ONNX).
 *
 * Worked example: x = 3.5, scale = 2, zero point 128 (uint8): 3.5 / 2 = 1.75 -> 2, + 128 = 130.
 * x = 1, scale = 2: 0.5 -> 0 (tie to even) -> 128. x = 600, scale = 2: 300 + 128 = 428 -> 255.
 *
 * @param x values (row-major), rounded to float32 first; `dims` its shape.
 * @returns the quantized values in the dtype's storage (see `QuantStorage`), one element per entry.
 * @throws QParamsError for bad parameters (see `resolveParams`) or `x.length` not matching `dims`.
 */
export function quantize(x: ArrayLike<number>, dims: readonly number[], params: QuantParams, options: QuantizeOptions = {}): QuantStorage {
  const where = 'quantize';
  const r = resolveParams(dims, params, where);
  const n = sizeOf(dims);
  if (x.length !== n) throw new QParamsError({ param: 'x.length', value: x.length, expected: `${n} (dims [${dims.join(', ')}])` }, where);
  const precision = options.precision ?? 'float32';
  const saturate = options.saturate ?? true;
  const out = allocQuant(r.dtype, n);
  const idx = paramIndexMap(dims, r.layout);
  if (!isFloatQuantDType(r.dtype)) {
    const qmin = r.lo;
    const qmax = r.hi;
    for (let i = 0; i < n; i++) {
      const p = idx[i];
      const v = divide(x[i], r.scale[p], precision);
      const q = Number.isNaN(v) ? qmin : roundHalfEven(v) + r.zeroPoint[p];
      out[i] = q < qmin ? qmin : q > qmax ? qmax : q;
    }
    return out;
  }
  const fmt = smallFloatFormat(r.dtype as Float8Kind | 'float4e2m1');
  const isF4 = r.dtype === 'float4e2m1';
  for (let i = 0; i < n; i++) {
    const p = idx[i];
    let v = divide(x[i], r.scale[p], precision);
    const z = r.zeroPoint[p];
    if (isF4 || z !== 0) v = Math.fround(v + z);
    out[i] = numberToMiniFloat(v, fmt, saturate);
  }
  return out;
}
