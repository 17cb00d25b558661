import { QParamsError } from './qparams-error.js';

/** Integer quantized types (ONNX QuantizeLinear saturation ranges). */
export type IntQuantDType = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint4' | 'int4' | 'uint2' | 'int2';
/** Small float quantized types (stored as bit patterns, one element per byte). */
export type FloatQuantDType = 'float8e4m3fn' | 'float8e4m3fnuz' | 'float8e5m2' | 'float8e5m2fnuz' | 'float4e2m1';
/** Every type `quantize` can produce and `dequantize` can read. */
export type QuantDType = IntQuantDType | FloatQuantDType;

/**
 * Storage of quantized values, the kernels' `Tensor` convention: int8/int4/int2 `Int8Array`, uint8/uint4/uint2 and
 * every float8/float4 kind `Uint8Array` (float kinds hold bit patterns), int16 `Int16Array`, uint16 `Uint16Array`.
 * One element per entry (sub-byte types are unpacked; see `packInt4`).
 */
export type QuantStorage = Int8Array | Uint8Array | Int16Array | Uint16Array;

interface IntInfo { readonly kind: 'int'; readonly bits: number; readonly signed: boolean; readonly qmin: number; readonly qmax: number }
interface FloatInfo { readonly kind: 'float' }
export type QuantDTypeInfo = IntInfo | FloatInfo;

const INT: Readonly<Record<IntQuantDType, IntInfo>> = Object.freeze({
  uint8: { kind: 'int', bits: 8, signed: false, qmin: 0, qmax: 255 },
  int8: { kind: 'int', bits: 8, signed: true, qmin: -128, qmax: 127 },
  uint16: { kind: 'int', bits: 16, signed: false, qmin: 0, qmax: 65535 },
  int16: { kind: 'int', bits: 16, signed: true, qmin: -32768, qmax: 32767 },
  uint4: { kind: 'int', bits: 4, signed: false, qmin: 0, qmax: 15 },
  int4: { kind: 'int', bits: 4, signed: true, qmin: -8, qmax: 7 },
  uint2: { kind: 'int', bits: 2, signed: false, qmin: 0, qmax: 3 },
  int2: { kind: 'int', bits: 2, signed: true, qmin: -2, qmax: 1 },
});

const FLOATS: ReadonlySet<string> = new Set(['float8e4m3fn', 'float8e4m3fnuz', 'float8e5m2', 'float8e5m2fnuz', 'float4e2m1']);

/** Every supported quantized dtype name. */
export const QUANT_DTYPES: readonly QuantDType[] = Object.freeze([
  ...(Object.keys(INT) as IntQuantDType[]),
  'float8e4m3fn', 'float8e4m3fnuz', 'float8e5m2', 'float8e5m2fnuz', 'float4e2m1',
]);

export function isQuantDType(x: unknown): x is QuantDType {
  return typeof x === 'string' && (Object.hasOwn(INT, x) || FLOATS.has(x));
}

export function isFloatQuantDType(d: QuantDType): d is FloatQuantDType {
  return FLOATS.has(d);
}

/** Range and signedness of an integer dtype; throws QParamsError for an unknown name. */
export function intInfo(dtype: IntQuantDType): IntInfo {
  if (!Object.hasOwn(INT, dtype)) throw new QParamsError({ param: 'dtype', value: dtype, expected: `one of ${Object.keys(INT).join(', ')}` });
  return INT[dtype];
}

/** Validates a dtype name (QParamsError naming it when unknown). */
export function checkDType(dtype: unknown, param = 'dtype'): QuantDType {
  if (!isQuantDType(dtype)) {
    throw new QParamsError({ param, value: dtype, expected: `one of ${QUANT_DTYPES.join(', ')}` });
  }
  return dtype;
}

/** A zero-filled storage array for `n` elements of `dtype` (see {@link QuantStorage}). */
export function allocQuant(dtype: QuantDType, n: number): QuantStorage {
  switch (dtype) {
    case 'int8': case 'int4': case 'int2': return new Int8Array(n);
    case 'int16': return new Int16Array(n);
    case 'uint16': return new Uint16Array(n);
    default: return new Uint8Array(n);
  }
}
