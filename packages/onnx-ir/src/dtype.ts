/**
 * ONNX TensorProto data types: names, element widths and byte sizes of the raw_data layout.
 *
 * Names match the kernels' `DType` strings (`float32`, `int4`, `float8e4m3fn`, ...), plus `complex64` and
 * `complex128`, which ONNX has and the kernels do not.
 */
import { DataType } from './types.js';

/** Name of a data type, as the kernels spell dtypes. */
export type DataTypeName =
  | 'float32' | 'float64' | 'float16' | 'bfloat16'
  | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64'
  | 'bool' | 'string' | 'complex64' | 'complex128'
  | 'int4' | 'uint4' | 'int2' | 'uint2'
  | 'float8e4m3fn' | 'float8e4m3fnuz' | 'float8e5m2' | 'float8e5m2fnuz' | 'float8e8m0' | 'float4e2m1';

interface Info {
  readonly name: DataTypeName;
  /** Bits per element in raw_data (0 for string). */
  readonly bits: number;
}

const INFO: Readonly<Record<number, Info>> = {
  [DataType.FLOAT]: { name: 'float32', bits: 32 },
  [DataType.UINT8]: { name: 'uint8', bits: 8 },
  [DataType.INT8]: { name: 'int8', bits: 8 },
  [DataType.UINT16]: { name: 'uint16', bits: 16 },
  [DataType.INT16]: { name: 'int16', bits: 16 },
  [DataType.INT32]: { name: 'int32', bits: 32 },
  [DataType.INT64]: { name: 'int64', bits: 64 },
  [DataType.STRING]: { name: 'string', bits: 0 },
  [DataType.BOOL]: { name: 'bool', bits: 8 },
  [DataType.FLOAT16]: { name: 'float16', bits: 16 },
  [DataType.DOUBLE]: { name: 'float64', bits: 64 },
  [DataType.UINT32]: { name: 'uint32', bits: 32 },
  [DataType.UINT64]: { name: 'uint64', bits: 64 },
  [DataType.COMPLEX64]: { name: 'complex64', bits: 64 },
  [DataType.COMPLEX128]: { name: 'complex128', bits: 128 },
  [DataType.BFLOAT16]: { name: 'bfloat16', bits: 16 },
  [DataType.FLOAT8E4M3FN]: { name: 'float8e4m3fn', bits: 8 },
  [DataType.FLOAT8E4M3FNUZ]: { name: 'float8e4m3fnuz', bits: 8 },
  [DataType.FLOAT8E5M2]: { name: 'float8e5m2', bits: 8 },
  [DataType.FLOAT8E5M2FNUZ]: { name: 'float8e5m2fnuz', bits: 8 },
  [DataType.UINT4]: { name: 'uint4', bits: 4 },
  [DataType.INT4]: { name: 'int4', bits: 4 },
  [DataType.FLOAT4E2M1]: { name: 'float4e2m1', bits: 4 },
  [DataType.FLOAT8E8M0]: { name: 'float8e8m0', bits: 8 },
  [DataType.UINT2]: { name: 'uint2', bits: 2 },
  [DataType.INT2]: { name: 'int2', bits: 2 },
};

const BY_NAME: ReadonlyMap<string, DataType> = new Map(
  Object.entries(INFO).map(([k, v]) => [v.name, Number(k) as DataType]),
);

/** True for a data type number this library knows (1..26). */
export function isKnownDataType(dt: number): dt is DataType {
  return INFO[dt] !== undefined;
}

/**
 * The dtype name of an ONNX data type number: `dataTypeName(1) === 'float32'`, `dataTypeName(22) === 'int4'`.
 * Throws a RangeError for UNDEFINED (0) or an unknown number.
 */
export function dataTypeName(dt: DataType | number): DataTypeName {
  const info = INFO[dt];
  if (info === undefined) throw new RangeError(`unknown ONNX data type ${dt}`);
  return info.name;
}

/** The ONNX data type number of a dtype name: `dataTypeFromName('float16') === 10`. Throws a RangeError if unknown. */
export function dataTypeFromName(name: string): DataType {
  const dt = BY_NAME.get(name);
  if (dt === undefined) throw new RangeError(`unknown dtype name "${name}"`);
  return dt;
}

/** Bits per element in the raw_data layout (2, 4, 8, 16, 32, 64, 128); 0 for STRING and unknown types. */
export function dataTypeBits(dt: DataType | number): number {
  return INFO[dt]?.bits ?? 0;
}

/**
 * Bytes that `n` elements take in raw_data: `ceil(n * bits / 8)`. Sub-byte types pack two (4-bit) or four (2-bit)
 * elements per byte, so 3 int4 elements take 2 bytes. Undefined for STRING (variable length).
 */
export function rawByteLength(dt: DataType | number, n: number): number | undefined {
  const bits = dataTypeBits(dt);
  if (bits === 0) return undefined;
  return Math.ceil((n * bits) / 8);
}

/** Element count of a shape; 1 for a scalar (`[]`). */
export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}
