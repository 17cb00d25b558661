import { checkDType, intInfo, isFloatQuantDType, type IntQuantDType, type QuantDType } from './dtypes.js';
import { smallFloatFormat, type Float8Kind } from './float-bits.js';
import { maxFinite } from './minifloat.js';
import { QParamsError } from './qparams-error.js';
import { roundHalfEven } from './round.js';

/** A real range to be represented, e.g. from a calibrator. */
export interface Range {
  readonly min: number;
  readonly max: number;
}

/**
 * - `asymmetric`: the range [min(rmin, 0), max(rmax, 0)] maps onto [qmin, qmax] with a zero point.
 * - `symmetric`: [-a, a] with a = max(|rmin|, |rmax|); zero point 0 (signed) or the midpoint (unsigned: 128 for
 *   uint8); the full dtype range stays available for saturation (int8 [-128, 127]).
 * - `symmetric-restricted`: as symmetric, but the range is narrowed to be symmetric around the zero point:
 *   int8 [-127, 127], int4 [-7, 7], uint8 [1, 255] (zero point 128). What kernels without VNNI need.
 */
export type Scheme = 'asymmetric' | 'symmetric' | 'symmetric-restricted';

export interface QParamsOptions {
  readonly dtype: QuantDType;
  /** Default `asymmetric` for integer dtypes, `symmetric` for float8/float4 (the only scheme they have). */
  readonly scheme?: Scheme;
  /** Integer dtypes of 4+ bits: one bit fewer (uint8 [0, 127], int8 [-64, 63], int4 [-4, 3], ...). Default false. */
  readonly reduceRange?: boolean;
  /** Round the scale UP to the next power of two (so the range stays covered). Default false. */
  readonly powerOfTwo?: boolean;
  /** Smallest scale for a non-empty range (default {@link SCALE_EPSILON}); the scale is clamped up to it. */
  readonly minScale?: number;
  /** Scale used when the (zero-including) range is empty, i.e. min = max = 0. Default 1 (as ONNX Runtime and DynamicQuantizeLinear). */
  readonly emptyRangeScale?: number;
  /**
   * Symmetric schemes, formula variant (presets use these): `max-level` (default) divides a by the number of levels
   * on the zero point's shorter side (127 for int8 and uint8), so +-a are representable;
   * `half-span` divides by (qmax - qmin) / 2 (127.5 for int8 [-128, 127]), as PyTorch and ONNX Runtime's uint8
   * symmetric do: +a then lands on a tie above qmax and saturates.
   */
  readonly symmetricDenominator?: 'max-level' | 'half-span';
  /** Symmetric schemes on unsigned dtypes: zero point at the `midpoint` (default; 128 for uint8) or at `qmin` (0). */
  readonly unsignedSymmetricZeroPoint?: 'midpoint' | 'qmin';
  /** Symmetric schemes: a = max(|rmin|, |rmax|) (`abs-max`, default) or a = max(rmin, rmax) (`max`, oneDNN uint8). */
  readonly symmetricMagnitude?: 'abs-max' | 'max';
  /**
   * Symmetric schemes: the zero point is `fixed` (default: 0 or the unsigned midpoint) or computed `from-range` as
   * the asymmetric formula does on [-a, a]: clamp(roundHalfEven(qmin + a / scale)) in float32 (ONNX Runtime's code).
   */
  readonly symmetricZeroPoint?: 'fixed' | 'from-range';
}

/** One scale and zero point, and the integer range the formula targeted. */
export interface QParams {
  readonly dtype: QuantDType;
  /** A float32 value, finite and > 0. */
  readonly scale: number;
  /** An integer in [qmin, qmax] (0 for float dtypes, whose stored zero point is the bit pattern 0). */
  readonly zeroPoint: number;
  /** The targeted range (reduced and/or restricted); float dtypes: +-max finite. */
  readonly qmin: number;
  readonly qmax: number;
}

/** 2^-23 (float32 machine epsilon, about 1.19e-7): default lower clamp of the scale. */
export const SCALE_EPSILON = 2 ** -23;

/** The integer range targeted by `dtype` under `scheme`/`reduceRange`, and the symmetric zero point. */
export function targetRange(dtype: QuantDType, scheme: Scheme, reduceRange: boolean, unsignedZp: 'midpoint' | 'qmin' = 'midpoint'): { qmin: number; qmax: number; symZero: number } {
  if (isFloatQuantDType(dtype)) {
    const m = maxFinite(smallFloatFormat(dtype as Float8Kind | 'float4e2m1'));
    return { qmin: -m, qmax: m, symZero: 0 };
  }
  const info = intInfo(dtype);
  let { qmin, qmax } = info;
  if (reduceRange) {
    const b = info.bits - 1;
    qmin = info.signed ? -(2 ** (b - 1)) : 0;
    qmax = info.signed ? 2 ** (b - 1) - 1 : 2 ** b - 1;
  }
  const symZero = info.signed ? 0 : unsignedZp === 'qmin' ? qmin : (qmin + qmax + 1) / 2;
  if (scheme === 'symmetric-restricted') qmin = Math.max(qmin, 2 * symZero - qmax);
  return { qmin, qmax, symZero };
}

function checkFinite(v: unknown, param: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new QParamsError({ param, value: v, expected: 'a finite number' }, 'qparamsFromRange');
  return v;
}

/** Rounds a positive finite float32 up to a power of two (exact powers of two are kept). */
export function ceilPowerOfTwo(s: number): number {
  let e = Math.floor(Math.log2(s));
  if (2 ** e > s) e--;
  else if (2 ** (e + 1) <= s) e++;
  return 2 ** e === s ? s : 2 ** (e + 1);
}

/**
 * THE scale/zero-point formulas (every preset and `chooseQParams` end here). All arithmetic in float32.
 *
 * 1. rmin = min(range.min, 0), rmax = max(range.max, 0): the range always includes 0, so 0 is exact.
 * 2. [qmin, qmax]: the dtype range, one bit narrower with `reduceRange`, made symmetric with
 *    `symmetric-restricted` (see {@link targetRange}).
 * 3. asymmetric: `scale = (rmax - rmin) / (qmax - qmin)`, `zero_point = clamp(roundHalfEven(qmin - rmin / scale))`.
 *    symmetric: a = max(|rmin|, |rmax|), zero point z = 0 (signed) or the midpoint (unsigned),
 *    `scale = a / min(qmax - z, z - qmin)` (or `a / ((qmax - qmin) / 2)` with `half-span`).
 *    float8/float4: `scale = a / max_finite` (448 for e4m3fn, 57344 for e5m2, 6 for e2m1), zero point 0.
 * 4. The scale is clamped away from 0: an empty range (rmin = rmax = 0) gets `emptyRangeScale` (1), a tiny one
 *    at least `minScale` (2^-23); `powerOfTwo` then rounds it up to 2^k (the zero point is computed after).
 *
 * Worked example (uint8 asymmetric): range [-1, 2]: scale = 3 / 255 = 0.011764706, zero point =
 * roundHalfEven(0 + 1 / 0.011764706 = 85.0) = 85; 2 quantizes to round(170) + 85 = 255, -1 to 0.
 * (int8 symmetric): range [-1, 2]: a = 2, scale = 2 / 127 = 0.015748031, zero point 0; -1 -> -64, 2 -> 127.
 *
 * @throws QParamsError when a bound is NaN or infinite, min > max, the dtype is unknown, a float dtype is asked
 * for `asymmetric` or `reduceRange`, or the resulting scale overflows float32.
 */
export function qparamsFromRange(range: Range, opts: QParamsOptions): QParams {
  const where = 'qparamsFromRange';
  const dtype = checkDType(opts.dtype, 'opts.dtype');
  const lo = checkFinite(range.min, 'range.min');
  const hi = checkFinite(range.max, 'range.max');
  if (lo > hi) throw new QParamsError({ param: 'range', value: [lo, hi], expected: 'min <= max' }, where);
  const isFloat = isFloatQuantDType(dtype);
  const scheme: Scheme = opts.scheme ?? (isFloat ? 'symmetric' : 'asymmetric');
  if (scheme !== 'asymmetric' && scheme !== 'symmetric' && scheme !== 'symmetric-restricted') {
    throw new QParamsError({ param: 'opts.scheme', value: scheme, expected: 'asymmetric, symmetric or symmetric-restricted' }, where);
  }
  if (isFloat && scheme === 'asymmetric') throw new QParamsError({ param: 'opts.scheme', value: scheme, expected: `symmetric for ${dtype}` }, where);
  if (opts.reduceRange && (isFloat || intInfo(dtype as IntQuantDType).bits < 4)) {
    throw new QParamsError({ param: 'opts.reduceRange', value: true, expected: `false for ${dtype} (reduce-range needs an integer type of 4 bits or more)` }, where);
  }
  const minScale = opts.minScale ?? SCALE_EPSILON;
  const emptyScale = opts.emptyRangeScale ?? 1;
  if (!(minScale > 0) || !Number.isFinite(minScale)) throw new QParamsError({ param: 'opts.minScale', value: minScale, expected: 'a finite number > 0' }, where);
  if (!(emptyScale > 0) || !Number.isFinite(emptyScale)) throw new QParamsError({ param: 'opts.emptyRangeScale', value: emptyScale, expected: 'a finite number > 0' }, where);

  const rmin = Math.fround(Math.min(lo, 0));
  const rmax = Math.fround(Math.max(hi, 0));
  const { qmin, qmax, symZero } = targetRange(dtype, scheme, opts.reduceRange ?? false, opts.unsignedSymmetricZeroPoint);

  let scale: number;
  let zeroPoint: number;
  if (scheme === 'asymmetric') {
    scale = Math.fround(Math.fround(rmax - rmin) / (qmax - qmin));
  } else {
    const a = opts.symmetricMagnitude === 'max' ? rmax : Math.max(-rmin, rmax);
    let denom: number;
    if (isFloat) denom = qmax;
    else if (opts.symmetricDenominator === 'half-span') denom = (qmax - qmin) / 2;
    else denom = symZero > qmin ? Math.min(qmax - symZero, symZero - qmin) : qmax - symZero;
    scale = Math.fround(a / denom);
  }
  if (rmin === rmax) scale = Math.fround(emptyScale);
  else if (scale < minScale) scale = Math.fround(minScale);
  if (opts.powerOfTwo) scale = ceilPowerOfTwo(scale);
  if (!Number.isFinite(scale)) {
    throw new QParamsError({ param: 'range', value: [lo, hi], expected: `a range whose scale fits float32 (got ${scale})` }, where);
  }
  if (scheme === 'asymmetric') {
    const z = roundHalfEven(Math.fround(qmin - Math.fround(rmin / scale)));
    zeroPoint = z < qmin ? qmin : z > qmax ? qmax : z;
  } else if (opts.symmetricZeroPoint === 'from-range' && !isFloat) {
    const a = opts.symmetricMagnitude === 'max' ? rmax : Math.max(-rmin, rmax);
    const z = roundHalfEven(Math.fround(qmin + Math.fround(a / scale)));
    zeroPoint = z < qmin ? qmin : z > qmax ? qmax : z;
  } else {
    zeroPoint = symZero;
  }
  return { dtype, scale, zeroPoint, qmin, qmax };
}
