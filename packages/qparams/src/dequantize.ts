import { isFloatQuantDType } from './dtypes.js';
import { float32ToBfloat16, float32ToFloat16 } from './float-bits.js';
import { paramIndexMap, sizeOf } from './layout.js';
import { QParamsError } from './qparams-error.js';
import { type QuantParams, resolveParams, zeroPointValue } from './quant-params.js';

/** Output type of `dequantize` (ONNX: the scale's type, or `output_dtype`). */
export type DequantizeOutput = 'float32' | 'float16' | 'bfloat16';

/** Parameters for `dequantize`: those of `quantize`, plus `int32` inputs (ONNX: no zero point, used for biases). */
export type DequantParams = Omit<QuantParams, 'dtype'> & { readonly dtype: QuantParams['dtype'] | 'int32' };

export interface DequantizeOptions {
  /** Default float32 (a Float32Array); float16/bfloat16 give a Uint16Array of bit patterns. */
  readonly outputDType?: DequantizeOutput;
}

/**
 * Reference ONNX DequantizeLinear (opsets 10, 13, 19, 21, 23, 25), bit-exact with the ONNX backend tests.
 *
 * `y = (x - zero_point) * scale`: the difference is exact (an integer), the product is one float32 multiplication
 * (`Math.fround`), then rounded to the output type (RNE) when it is float16/bfloat16. Float8/float4 inputs are bit
 * patterns, decoded exactly (NaN stays NaN, e5m2 Inf stays Inf); their zero point is normally 0.
 * Granularity as in `quantize` (per-tensor, per-axis, blocked with a shorter last block allowed).
 *
 * `int32` inputs (biases) take no zero point (absent or all 0) and are rounded to float32 before the product, as
 * ONNX's reference does: `y = fround(fround(x) * scale)`.
 *
 * Worked example: x = 130 (uint8), zero point 128, scale 0.5: (130 - 128) * 0.5 = 1. x = 0: -128 * 0.5 = -64.
 *
 * @param q stored quantized values (see `QuantStorage`; plain numbers work too), `dims` its shape.
 * @throws QParamsError for bad parameters or `q.length` not matching `dims`.
 */
export function dequantize(
  q: ArrayLike<number>,
  dims: readonly number[],
  params: DequantParams,
  options: DequantizeOptions = {},
): Float32Array | Uint16Array {
  const where = 'dequantize';
  const int32 = params.dtype === 'int32';
  if (int32 && params.zeroPoint && Array.from(params.zeroPoint).some((z) => z !== 0)) {
    throw new QParamsError({ param: 'zeroPoint', value: Array.from(params.zeroPoint), expected: 'no zero point (or zeros) for int32 inputs' }, where);
  }
  // int32: validate scales and layout as for any integer type, with a zero point of 0
  const r = resolveParams(dims, int32 ? { ...params, dtype: 'int16', zeroPoint: null } : (params as QuantParams), where);
  const n = sizeOf(dims);
  if (q.length !== n) throw new QParamsError({ param: 'q.length', value: q.length, expected: `${n} (dims [${dims.join(', ')}])` }, where);
  const y = new Float32Array(n);
  const idx = paramIndexMap(dims, r.layout);
  const isFloat = isFloatQuantDType(r.dtype);
  for (let i = 0; i < n; i++) {
    const p = idx[i];
    const v = isFloat ? zeroPointValue(r.dtype, q[i]) : int32 ? Math.fround(q[i]) : q[i];
    y[i] = (v - r.zeroPoint[p]) * r.scale[p];
  }
  const out = options.outputDType ?? 'float32';
  if (out === 'float32') return y;
  const bits = new Uint16Array(n);
  const conv = out === 'float16' ? float32ToFloat16 : float32ToBfloat16;
  for (let i = 0; i < n; i++) bits[i] = conv(y[i]);
  return bits;
}
