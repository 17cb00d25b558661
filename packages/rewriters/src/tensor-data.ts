/**
 * Reading and writing initializer values for the rewriters. Reading goes through onnx-ir (`readTensorBytesSync`,
 * `valuesFromBytes`: the raw_data layout has one owner); writing encodes the few dtypes the rewriters create
 * (little-endian, int4/uint4 packed two per byte, low nibble first), saturating int64 at its range.
 */
import { DataType, readTensorBytesSync, valuesFromBytes } from '@lowbit/onnx-ir';
import type { InlineTensor, TensorRef } from '@lowbit/onnx-ir';
import { RewriteError } from './errors.js';

/** The raw bytes of a tensor: inline, lazy (synchronous), or external data read through onnx-ir's TensorStore. */
export function tensorBytes(t: TensorRef, pass = 'tensor-data'): Uint8Array {
  if (t.kind === 'inline') return t.data;
  try {
    return readTensorBytesSync(t);
  } catch (e) {
    throw new RewriteError({ pass, tensor: t.name }, `cannot read the bytes of this ${t.kind} tensor`, e);
  }
}

/** Number of elements of `dims`. */
export function numel(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** dtypes whose stored values are the numbers themselves (not bit patterns of a small float, not strings). */
const NUMERIC: ReadonlySet<DataType> = new Set([
  DataType.FLOAT, DataType.DOUBLE, DataType.INT8, DataType.UINT8, DataType.INT16, DataType.UINT16, DataType.INT32,
  DataType.UINT32, DataType.INT64, DataType.UINT64, DataType.INT4, DataType.UINT4, DataType.INT2, DataType.UINT2, DataType.BOOL,
]);

/**
 * Values of a numeric tensor as float64 numbers (int64/uint64 converted with Number()), decoded by onnx-ir's
 * `valuesFromBytes` (the one owner of the raw_data layout). float16/bfloat16/float8/float4 and strings are a
 * RewriteError: their stored values are bit patterns, not numbers.
 */
export function tensorNumbers(t: TensorRef, pass = 'tensor-data'): Float64Array {
  if (!NUMERIC.has(t.dtype)) throw new RewriteError({ pass, tensor: t.name, actual: String(t.dtype) }, 'unsupported initializer dtype', undefined);
  let data: ArrayLike<number | bigint>;
  try {
    data = valuesFromBytes(t, tensorBytes(t, pass)).data as ArrayLike<number | bigint>;
  } catch (e) {
    if (e instanceof RewriteError) throw e;
    throw new RewriteError({ pass, tensor: t.name }, 'cannot decode the values of this tensor', e);
  }
  return Float64Array.from(data, Number);
}

/** float32 values of a tensor (float32 exact; other numeric dtypes converted). */
export function tensorFloats(t: TensorRef, pass = 'tensor-data'): Float32Array {
  if (t.dtype === DataType.FLOAT) {
    const b = tensorBytes(t, pass);
    const out = new Float32Array(numel(t.dims));
    new Uint8Array(out.buffer).set(b.subarray(0, out.length * 4));
    return out;
  }
  return Float32Array.from(tensorNumbers(t, pass));
}

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/** Encode integer/float values (already in range for `dtype`) into raw_data bytes. */
export function encodeValues(dtype: DataType, values: ArrayLike<number>): Uint8Array {
  const n = values.length;
  switch (dtype) {
    case DataType.FLOAT: { const a = Float32Array.from(values); return new Uint8Array(a.buffer); }
    case DataType.DOUBLE: { const a = Float64Array.from(values); return new Uint8Array(a.buffer); }
    case DataType.INT32: { const a = Int32Array.from(values); return new Uint8Array(a.buffer); }
    case DataType.INT64: {
      // numbers at or beyond +-2^63 (INT64_MAX read as a double rounds up to 2^63) saturate instead of wrapping
      const a = new BigInt64Array(n);
      for (let i = 0; i < n; i++) a[i] = values[i] >= 2 ** 63 ? INT64_MAX : values[i] <= -(2 ** 63) ? INT64_MIN : BigInt(values[i]);
      return new Uint8Array(a.buffer);
    }
    case DataType.INT8: { const a = Int8Array.from(values); return new Uint8Array(a.buffer); }
    case DataType.UINT8: return Uint8Array.from(values);
    case DataType.INT16: { const a = Int16Array.from(values); return new Uint8Array(a.buffer); }
    case DataType.UINT16: { const a = Uint16Array.from(values); return new Uint8Array(a.buffer); }
    case DataType.INT4:
    case DataType.UINT4: {
      const out = new Uint8Array((n + 1) >> 1);
      for (let i = 0; i < n; i++) out[i >> 1] |= (values[i] & 15) << ((i & 1) * 4);
      return out;
    }
    default:
      throw new RewriteError({ pass: 'tensor-data', actual: String(dtype) }, 'cannot encode dtype');
  }
}

/** A new inline tensor (raw encoding) from values. */
export function makeTensor(name: string, dtype: DataType, dims: readonly number[], values: ArrayLike<number>): InlineTensor {
  return { kind: 'inline', name, dtype, dims: [...dims], data: encodeValues(dtype, values), encoding: 'raw' };
}

/** A scalar or 1-D float32 tensor. */
export function floatTensor(name: string, dims: readonly number[], values: ArrayLike<number>): InlineTensor {
  return makeTensor(name, DataType.FLOAT, dims, values);
}

/** The same tensor under another name (bytes shared, not copied). */
export function renameTensor(t: TensorRef, name: string): TensorRef {
  return { ...t, name };
}
