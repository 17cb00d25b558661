import { checkDType, intInfo, isFloatQuantDType, type QuantDType } from './dtypes.js';
import { float4e2m1ToFloat32, float8ToFloat32, type Float8Kind } from './float-bits.js';
import { type ParamLayout, resolveLayout } from './layout.js';
import { QParamsError } from './qparams-error.js';

/**
 * Scales and zero points as ONNX QuantizeLinear/DequantizeLinear take them. `chooseQParams` returns this shape,
 * and `quantize`/`dequantize` accept it.
 */
export interface QuantParams {
  /** The quantized type (ONNX: the zero point's type, or `output_dtype`). */
  readonly dtype: QuantDType;
  /** Scales as float32 values (a number[] or Float32Array; float16/bfloat16 scales: convert the bits first). */
  readonly scale: ArrayLike<number>;
  /**
   * Zero points in the dtype's storage convention (integers; float kinds: bit patterns). Omitted or null means 0.
   * Must have the scale's length.
   */
  readonly zeroPoint?: ArrayLike<number> | null;
  /** Shape of the scale tensor. Optional for per-tensor and per-axis; checked for blocked. */
  readonly paramDims?: readonly number[];
  /** ONNX `axis` (default 1, negative counts from the back). Used for per-axis and blocked. */
  readonly axis?: number;
  /** ONNX `block_size` (default 0 = not blocked). */
  readonly blockSize?: number;
  /**
   * Optional narrower saturation bounds for integer dtypes (a reduced or restricted range, as `chooseQParams`
   * returns): `quantize` clamps to [max(qmin, dtype min), min(qmax, dtype max)]. ONNX QuantizeLinear has no such
   * bounds: leave them out to match it. Ignored for float dtypes and by `dequantize`.
   */
  readonly qmin?: number;
  readonly qmax?: number;
}

/** Validated parameters: layout resolved, scales checked, zero points decoded to numbers. */
export interface ResolvedParams {
  readonly dtype: QuantDType;
  readonly layout: ParamLayout;
  readonly scale: Float64Array;
  /** Zero points as values: integers, or the decoded float value for float kinds. */
  readonly zeroPoint: Float64Array;
  /** Saturation bounds for integer dtypes (the dtype range narrowed by `params.qmin`/`qmax`). */
  readonly lo: number;
  readonly hi: number;
}

/** Decodes one stored zero point to its numeric value. */
export function zeroPointValue(dtype: QuantDType, stored: number): number {
  if (dtype === 'float4e2m1') return float4e2m1ToFloat32(stored);
  if (isFloatQuantDType(dtype)) return float8ToFloat32(stored, dtype as Float8Kind);
  return stored;
}

/**
 * Checks `params` against a tensor of shape `dims` and resolves its layout. QParamsError when: the dtype is
 * unknown; a scale is zero, negative, NaN or infinite (naming its index); the zero point count differs from the
 * scale count; an integer zero point is outside the dtype range or not an integer; the layout does not fit `dims`.
 */
export function resolveParams(dims: readonly number[], params: QuantParams, where: string): ResolvedParams {
  const dtype = checkDType(params.dtype, 'params.dtype');
  const n = params.scale.length;
  const layout = resolveLayout(dims, n, params.paramDims, params.axis ?? 1, params.blockSize ?? 0, where);
  const scale = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = params.scale[i];
    if (!(s > 0) || !Number.isFinite(s)) {
      throw new QParamsError({ param: n === 1 ? 'scale' : `scale[${i}]`, value: s, expected: 'a finite float32 > 0' }, where);
    }
    scale[i] = Math.fround(s);
  }
  const zeroPoint = new Float64Array(n);
  const zp = params.zeroPoint;
  if (zp != null) {
    if (zp.length !== n) {
      throw new QParamsError({ param: 'zeroPoint.length', value: zp.length, expected: `${n} (the scale's length)` }, where);
    }
    const info = isFloatQuantDType(dtype) ? undefined : intInfo(dtype);
    for (let i = 0; i < n; i++) {
      const z = zp[i];
      if (info && (!Number.isInteger(z) || z < info.qmin || z > info.qmax)) {
        throw new QParamsError({ param: n === 1 ? 'zeroPoint' : `zeroPoint[${i}]`, value: z, expected: `an integer in [${info.qmin}, ${info.qmax}] (${dtype})` }, where);
      }
      zeroPoint[i] = zeroPointValue(dtype, z);
    }
  }
  let lo = -Infinity;
  let hi = Infinity;
  if (!isFloatQuantDType(dtype)) {
    const info = intInfo(dtype);
    lo = Math.max(info.qmin, params.qmin ?? -Infinity);
    hi = Math.min(info.qmax, params.qmax ?? Infinity);
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo > hi) {
      throw new QParamsError({ param: 'params.qmin/qmax', value: [params.qmin, params.qmax], expected: `integer bounds with qmin <= qmax inside [${info.qmin}, ${info.qmax}]` }, where);
    }
  }
  return { dtype, layout, scale, zeroPoint, lo, hi };
}
