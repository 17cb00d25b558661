/**
 * Tensor bytes (raw_data layout) <-> element values in the kernels' storage convention.
 *
 * Storage per dtype (exactly `@lowbit/kernels` Tensor storage; onnx-ir cannot import kernels, so it is restated):
 * float32 Float32Array, float64 Float64Array, int8 Int8Array, uint8 Uint8Array, int16 Int16Array, uint16 Uint16Array,
 * int32 Int32Array, uint32 Uint32Array, int64 BigInt64Array, uint64 BigUint64Array, bool Uint8Array (0/1),
 * string string[]; float16/bfloat16 Uint16Array of bit patterns; the float8 kinds, float8e8m0 and float4e2m1 a
 * Uint8Array of bit patterns, one element per entry; int4/int2 Int8Array and uint4/uint2 Uint8Array, one element per
 * entry. complex64/complex128 (no kernels dtype) are Float32Array/Float64Array of interleaved (real, imaginary) pairs,
 * 2 entries per element.
 *
 * Packing (ONNX raw_data): sub-byte elements are packed from the lowest bits up. 4-bit: element 2k is the low nibble
 * of byte k, element 2k+1 the high nibble; an odd count leaves the last high nibble 0. 2-bit: element 4k+j sits in
 * bits 2j..2j+1 of byte k. Signed int4/int2 are two's complement in their 4/2 bits, so the int4 values [-1, 2] pack to
 * the byte 0x2F and the int2 values [1, -2, 0, -1] pack to 0b11_00_10_01 = 0xC9. Multi-byte values are little-endian
 * (the layout typed arrays have on every platform Node and browsers run on).
 */
import { dataTypeName, elementCount, rawByteLength } from './dtype.js';
import { ModelFormatError, TensorDataError } from './errors.js';
import { DataType, type InlineTensor, type TensorRef } from './types.js';

export type TensorValuesData =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array | string[];

export interface TensorValues {
  readonly dtype: DataType;
  readonly dims: number[];
  readonly data: TensorValuesData;
}

const utf8d = new TextDecoder('utf-8');
const utf8e = new TextEncoder();

function copyAs<T>(bytes: Uint8Array, C: { new (b: ArrayBuffer): T }): T {
  const buf = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(buf).set(bytes);
  return new C(buf);
}

function isSubByte(dt: number): 2 | 4 | 0 {
  if (dt === DataType.INT4 || dt === DataType.UINT4 || dt === DataType.FLOAT4E2M1) return 4;
  if (dt === DataType.INT2 || dt === DataType.UINT2) return 2;
  return 0;
}

/**
 * Values of a tensor from its raw_data-layout bytes (and, for STRING, its element bytes).
 * @throws ModelFormatError when the byte length does not match dims and dtype.
 */
export function valuesFromBytes(
  t: { readonly name: string; readonly dtype: DataType; readonly dims: readonly number[]; readonly strings?: readonly Uint8Array[] },
  bytes: Uint8Array,
): TensorValues {
  const { name, dtype } = t;
  const dims = [...t.dims];
  const n = elementCount(dims);
  const where = `tensor "${name}"`;
  if (dtype === DataType.STRING) {
    const strings = t.strings ?? [];
    if (strings.length !== n) {
      throw new ModelFormatError(`${where}: ${strings.length} strings, dims [${dims.join(', ')}] need ${n}`, { what: 'tensor', where });
    }
    return { dtype, dims, data: strings.map((s) => utf8d.decode(s)) };
  }
  const expected = rawByteLength(dtype, n);
  if (expected === undefined) throw new ModelFormatError(`${where}: unsupported data type ${dtype}`, { what: 'tensor', where });
  if (bytes.byteLength !== expected) {
    throw new ModelFormatError(
      `${where}: ${bytes.byteLength} bytes of data, dims [${dims.join(', ')}] of ${dataTypeName(dtype)} need ${expected}`,
      { what: 'tensor', where },
    );
  }
  const sub = isSubByte(dtype);
  if (sub !== 0) {
    const signed = dtype === DataType.INT4 || dtype === DataType.INT2;
    const out = signed ? new Int8Array(n) : new Uint8Array(n);
    const per = 8 / sub;
    const mask = (1 << sub) - 1;
    const shift = 32 - sub;
    for (let i = 0; i < n; i++) {
      const v = (bytes[(i / per) | 0]! >> (sub * (i % per))) & mask;
      out[i] = signed ? (v << shift) >> shift : v;
    }
    return { dtype, dims, data: out };
  }
  switch (dtype) {
    case DataType.FLOAT: case DataType.COMPLEX64: return { dtype, dims, data: copyAs(bytes, Float32Array) };
    case DataType.DOUBLE: case DataType.COMPLEX128: return { dtype, dims, data: copyAs(bytes, Float64Array) };
    case DataType.INT8: return { dtype, dims, data: copyAs(bytes, Int8Array) };
    case DataType.INT16: return { dtype, dims, data: copyAs(bytes, Int16Array) };
    case DataType.UINT16: case DataType.FLOAT16: case DataType.BFLOAT16: return { dtype, dims, data: copyAs(bytes, Uint16Array) };
    case DataType.INT32: return { dtype, dims, data: copyAs(bytes, Int32Array) };
    case DataType.UINT32: return { dtype, dims, data: copyAs(bytes, Uint32Array) };
    case DataType.INT64: return { dtype, dims, data: copyAs(bytes, BigInt64Array) };
    case DataType.UINT64: return { dtype, dims, data: copyAs(bytes, BigUint64Array) };
    case DataType.BOOL: return { dtype, dims, data: Uint8Array.from(bytes, (b) => (b !== 0 ? 1 : 0)) };
    default: return { dtype, dims, data: bytes.slice() }; // uint8 and the 8-bit float kinds
  }
}

type ValuesInput = TensorValuesData | readonly number[] | readonly bigint[] | readonly boolean[] | readonly string[];

/** [min, max] of the integer dtypes whose range a plain-array input is checked against. */
const RANGE: Readonly<Record<number, readonly [number, number]>> = {
  [DataType.INT4]: [-8, 7], [DataType.UINT4]: [0, 15], [DataType.FLOAT4E2M1]: [0, 15],
  [DataType.INT2]: [-2, 1], [DataType.UINT2]: [0, 3],
  [DataType.INT8]: [-128, 127], [DataType.UINT8]: [0, 255], [DataType.BOOL]: [0, 1],
  [DataType.FLOAT8E4M3FN]: [0, 255], [DataType.FLOAT8E4M3FNUZ]: [0, 255], [DataType.FLOAT8E5M2]: [0, 255],
  [DataType.FLOAT8E5M2FNUZ]: [0, 255], [DataType.FLOAT8E8M0]: [0, 255],
  [DataType.INT16]: [-32768, 32767], [DataType.UINT16]: [0, 65535], [DataType.FLOAT16]: [0, 65535], [DataType.BFLOAT16]: [0, 65535],
  [DataType.INT32]: [-2147483648, 2147483647], [DataType.UINT32]: [0, 4294967295],
};

/**
 * An inline tensor (raw_data encoding) from values in the storage convention above, or from a plain array of
 * numbers/bigints/booleans/strings. float16/bfloat16/float8/float4 values are BIT PATTERNS, not float values (convert
 * with qparams' float16/float8 helpers first). Integer inputs are range-checked, never wrapped.
 * @example tensorFromValues('w', DataType.INT4, [3], [-1, 2, 7]).data // Uint8Array [0x2F, 0x07]
 * @throws TensorDataError for a wrong element count, a non-integer or out-of-range value, or UNDEFINED dtype.
 */
export function tensorFromValues(name: string, dtype: DataType, dims: readonly number[], data: ValuesInput): InlineTensor {
  const dimsCopy = [...dims];
  const ctx = { tensorName: name, dtype: String(dtype), dims: dimsCopy };
  if (dimsCopy.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new TensorDataError(`tensor "${name}": dims [${dimsCopy.join(', ')}] must be non-negative integers`, ctx);
  }
  const n = elementCount(dimsCopy);
  const per = dtype === DataType.COMPLEX64 || dtype === DataType.COMPLEX128 ? 2 : 1;
  if (rawByteLength(dtype, 0) === undefined && dtype !== DataType.STRING) {
    throw new TensorDataError(`tensor "${name}": unsupported data type ${dtype}`, ctx);
  }
  const label = dataTypeName(dtype);
  ctx.dtype = label;
  if (data.length !== n * per) {
    throw new TensorDataError(`tensor "${name}": ${data.length} values, dims [${dimsCopy.join(', ')}] of ${label} need ${n * per}`, ctx);
  }
  if (dtype === DataType.STRING) {
    const strings = Array.from(data as ArrayLike<unknown>, (s) => utf8e.encode(String(s)));
    return { kind: 'inline', name, dtype, dims: dimsCopy, data: new Uint8Array(0), encoding: 'typed', strings };
  }
  const nums = (): number[] => {
    const out = new Array<number>(data.length);
    const range = RANGE[dtype];
    for (let i = 0; i < data.length; i++) {
      const raw = (data as ArrayLike<unknown>)[i];
      const v = typeof raw === 'boolean' ? (raw ? 1 : 0) : Number(raw);
      if (range !== undefined && (!Number.isInteger(v) || v < range[0] || v > range[1])) {
        throw new TensorDataError(`tensor "${name}": value ${String(raw)} at index ${i} is not a ${label} in [${range[0]}, ${range[1]}]`, { ...ctx, index: i });
      }
      out[i] = v;
    }
    return out;
  };
  const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
  let bytes: Uint8Array;
  const sub = isSubByte(dtype);
  if (sub !== 0) {
    const v = nums();
    bytes = new Uint8Array(rawByteLength(dtype, n)!);
    const perByte = 8 / sub;
    const mask = (1 << sub) - 1;
    for (let i = 0; i < n; i++) bytes[(i / perByte) | 0]! |= (v[i]! & mask) << (sub * (i % perByte));
  } else {
    switch (dtype) {
      case DataType.FLOAT: case DataType.COMPLEX64: bytes = bytesOf(Float32Array.from(data as ArrayLike<number>, Number)); break;
      case DataType.DOUBLE: case DataType.COMPLEX128: bytes = bytesOf(Float64Array.from(data as ArrayLike<number>, Number)); break;
      case DataType.INT64: case DataType.UINT64: {
        const C = dtype === DataType.INT64 ? BigInt64Array : BigUint64Array;
        const a = new C(n);
        for (let i = 0; i < n; i++) {
          const raw = (data as ArrayLike<unknown>)[i];
          let b: bigint;
          try {
            b = typeof raw === 'bigint' ? raw : BigInt(raw as number);
          } catch (err) {
            throw new TensorDataError(`tensor "${name}": value ${String(raw)} at index ${i} is not an integer`, { ...ctx, index: i }, err);
          }
          const lo = dtype === DataType.INT64 ? -(1n << 63n) : 0n;
          const hi = dtype === DataType.INT64 ? (1n << 63n) - 1n : (1n << 64n) - 1n;
          if (b < lo || b > hi) throw new TensorDataError(`tensor "${name}": value ${b} at index ${i} is out of ${label} range`, { ...ctx, index: i });
          a[i] = b;
        }
        bytes = bytesOf(a);
        break;
      }
      case DataType.INT8: bytes = bytesOf(Int8Array.from(nums())); break;
      case DataType.INT16: bytes = bytesOf(Int16Array.from(nums())); break;
      case DataType.UINT16: case DataType.FLOAT16: case DataType.BFLOAT16: bytes = bytesOf(Uint16Array.from(nums())); break;
      case DataType.INT32: bytes = bytesOf(Int32Array.from(nums())); break;
      case DataType.UINT32: bytes = bytesOf(Uint32Array.from(nums())); break;
      default: bytes = Uint8Array.from(nums()); // uint8, bool, 8-bit floats
    }
  }
  return { kind: 'inline', name, dtype, dims: dimsCopy, data: bytes, encoding: 'raw' };
}

/** Bytes of a tensor whose data is in memory (inline, or lazy computing synchronously); undefined otherwise. */
export function inMemoryBytes(t: TensorRef): Uint8Array | undefined {
  if (t.kind === 'inline') return t.data;
  if (t.kind === 'lazy') {
    const r = t.compute();
    return r instanceof Promise ? undefined : r;
  }
  return undefined;
}
