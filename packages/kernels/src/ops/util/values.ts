/**
 * Reading and writing tensor elements as JS numbers, whatever the storage convention of the dtype.
 * Bit-pattern formats (float16, bfloat16, float8 kinds, float4e2m1) are decoded/encoded with round-to-nearest-even;
 * int64/uint64 go through Number (exact up to 2^53, which is what shape-like and index-like tensors need).
 */
import { Tensor, allocData, type DType } from '../../tensor.js';
import {
  BFLOAT16, FLOAT16, FLOAT4E2M1, FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2, FLOAT8E5M2FNUZ, float32ToFloat8e8m0,
  float8e8m0ToFloat32, miniFloatToNumber, numberToMiniFloat, type MiniFloatFormat,
} from '@lowbit/qparams';

/** The bit-pattern float formats, encoded and decoded by @lowbit/qparams (their one owner). */
export const MINIFLOAT: Partial<Record<DType, MiniFloatFormat>> = {
  float16: FLOAT16, bfloat16: BFLOAT16, float8e4m3fn: FLOAT8E4M3FN, float8e4m3fnuz: FLOAT8E4M3FNUZ, float8e5m2: FLOAT8E5M2,
  float8e5m2fnuz: FLOAT8E5M2FNUZ, float4e2m1: FLOAT4E2M1,
};

export const FLOAT_DTYPES: ReadonlySet<DType> = new Set<DType>([
  'float32', 'float64', 'float16', 'bfloat16', 'float8e4m3fn', 'float8e4m3fnuz', 'float8e5m2', 'float8e5m2fnuz', 'float8e8m0', 'float4e2m1',
]);
export const isFloat = (d: DType): boolean => FLOAT_DTYPES.has(d);
export const isBig = (d: DType): boolean => d === 'int64' || d === 'uint64';
export const isSignedInt = (d: DType): boolean => d === 'int8' || d === 'int16' || d === 'int32' || d === 'int64' || d === 'int4' || d === 'int2';
export const isUnsignedInt = (d: DType): boolean => d === 'uint8' || d === 'uint16' || d === 'uint32' || d === 'uint64' || d === 'uint4' || d === 'uint2';
export const isInt = (d: DType): boolean => isSignedInt(d) || isUnsignedInt(d);

/**
 * The elements of `t` as numbers. Returns the storage itself when it already holds plain numbers
 * (float32/float64/int8..uint32/bool/int4..), so callers must not write into the result.
 */
export function toNumbers(t: Tensor): ArrayLike<number> {
  const d = t.dtype;
  const data = t.data;
  if (d === 'string') throw new TypeError('toNumbers: string tensor');
  if (isBig(d)) {
    const src = data as BigInt64Array | BigUint64Array;
    const out = new Float64Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = Number(src[i]);
    return out;
  }
  const mf = MINIFLOAT[d];
  if (mf) {
    const src = data as Uint8Array | Uint16Array;
    const out = new Float32Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = miniFloatToNumber(src[i], mf);
    return out;
  }
  if (d === 'float8e8m0') {
    const src = data as Uint8Array;
    const out = new Float64Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = float8e8m0ToFloat32(src[i]);
    return out;
  }
  return data as ArrayLike<number>;
}

/** Elements of an integer tensor as plain numbers (int64 via Number). */
export function toInts(t: Tensor): number[] {
  return Array.from(toNumbers(t), (v) => v);
}

/**
 * Store `values[i]` into element `i` of storage for `dtype`. Float targets round (float32 store, RNE for minifloats);
 * integer targets truncate toward zero then wrap to the type's width (what ONNX reference Cast does for in-range values);
 * bool is `v !== 0` (NaN -> true, as numpy); int64 of NaN/Inf is 0 / the int64 extreme.
 */
export function fromNumbers<D extends DType>(dtype: D, values: ArrayLike<number>, saturate = false): Tensor<D>['data'] {
  const n = values.length;
  const out = allocData(dtype, n);
  writeNumbers(dtype, out, values, saturate);
  return out;
}

export function writeNumbers(dtype: DType, out: Tensor['data'], values: ArrayLike<number>, saturate = false): void {
  const n = values.length;
  const mf = MINIFLOAT[dtype];
  if (mf) {
    const o = out as Uint8Array | Uint16Array;
    const sat = dtype === 'float16' || dtype === 'bfloat16' ? false : saturate;
    for (let i = 0; i < n; i++) o[i] = numberToMiniFloat(values[i], mf, sat);
    return;
  }
  switch (dtype) {
    case 'float8e8m0': {
      const o = out as Uint8Array;
      for (let i = 0; i < n; i++) o[i] = float32ToFloat8e8m0(values[i], saturate);
      return;
    }
    case 'int64': case 'uint64': {
      const o = out as BigInt64Array | BigUint64Array;
      const lo = dtype === 'int64' ? -(2 ** 63) : 0;
      const hi = dtype === 'int64' ? 2 ** 63 - 1 : 2 ** 64 - 1;
      for (let i = 0; i < n; i++) {
        const v = values[i];
        const t = Number.isNaN(v) ? 0 : Math.trunc(Math.min(Math.max(v, lo), hi));
        const b = BigInt(t);
        o[i] = dtype === 'int64' ? BigInt.asIntN(64, b) : BigInt.asUintN(64, b);
      }
      return;
    }
    case 'bool': {
      const o = out as Uint8Array;
      for (let i = 0; i < n; i++) o[i] = values[i] !== 0 ? 1 : 0;
      return;
    }
    case 'int4': case 'uint4': case 'int2': case 'uint2': {
      const bits = dtype.endsWith('4') ? 4 : 2;
      const signed = dtype.startsWith('int');
      const o = out as Int8Array | Uint8Array;
      for (let i = 0; i < n; i++) {
        const v = values[i];
        let w = (Number.isFinite(v) ? Math.trunc(v) : 0) & ((1 << bits) - 1);
        if (signed && w >= 1 << (bits - 1)) w -= 1 << bits;
        o[i] = w;
      }
      return;
    }
    case 'string': {
      const o = out as string[];
      for (let i = 0; i < n; i++) o[i] = String(values[i]);
      return;
    }
    default: {
      const o = out as Float32Array;
      if (dtype === 'float32' || dtype === 'float64') {
        for (let i = 0; i < n; i++) o[i] = values[i];
      } else {
        for (let i = 0; i < n; i++) {
          const v = values[i];
          o[i] = Number.isFinite(v) ? Math.trunc(v) : 0;
        }
      }
    }
  }
}

/** A new tensor of `dtype` and `dims` from numbers, through the run context's allocator when given. */
export function tensorFromNumbers<D extends DType>(dtype: D, dims: readonly number[], values: ArrayLike<number>): Tensor<D> {
  return new Tensor(dtype, fromNumbers(dtype, values), dims);
}

/** True when the storage can be read and written as plain numbers without conversion. */
export function isPlainNumeric(d: DType): boolean {
  return d !== 'string' && !isBig(d) && MINIFLOAT[d] === undefined && d !== 'float8e8m0';
}

/** Dtypes whose typed-array store already has the right semantics for a double (fround, or truncate-and-wrap). */
export const DIRECT_STORE: ReadonlySet<DType> = new Set<DType>(['float32', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32']);
