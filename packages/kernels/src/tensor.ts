/**
 * The tensor that kernels and the runtime exchange: a dtype, a flat row-major typed array and dims.
 *
 * Storage per dtype (the same choices onnxruntime-node makes, so users feel at home):
 * - float32 Float32Array, float64 Float64Array, int8 Int8Array, uint8 Uint8Array, int16 Int16Array,
 *   uint16 Uint16Array, int32 Int32Array, uint32 Uint32Array, int64 BigInt64Array, uint64 BigUint64Array,
 *   bool Uint8Array (0/1), string string[].
 * - float16 and bfloat16: Uint16Array of bit patterns.
 * - float8 kinds and float4e2m1/float8e8m0: Uint8Array of bit patterns, one element per entry (unpacked).
 * - int4/int2: Int8Array, uint4/uint2: Uint8Array, one element per entry (unpacked; packing is an I/O concern).
 */
export type DType =
  | 'float32' | 'float64' | 'float16' | 'bfloat16'
  | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64'
  | 'bool' | 'string'
  | 'int4' | 'uint4' | 'int2' | 'uint2'
  | 'float8e4m3fn' | 'float8e4m3fnuz' | 'float8e5m2' | 'float8e5m2fnuz' | 'float8e8m0' | 'float4e2m1';

export interface DataOf {
  float32: Float32Array; float64: Float64Array; float16: Uint16Array; bfloat16: Uint16Array;
  int8: Int8Array; uint8: Uint8Array; int16: Int16Array; uint16: Uint16Array;
  int32: Int32Array; uint32: Uint32Array; int64: BigInt64Array; uint64: BigUint64Array;
  bool: Uint8Array; string: string[];
  int4: Int8Array; uint4: Uint8Array; int2: Int8Array; uint2: Uint8Array;
  float8e4m3fn: Uint8Array; float8e4m3fnuz: Uint8Array; float8e5m2: Uint8Array; float8e5m2fnuz: Uint8Array;
  float8e8m0: Uint8Array; float4e2m1: Uint8Array;
}

export type TensorData = DataOf[DType];

/** Short names used in kernel keys: `Conv:f32`, `MatMulInteger:u8xi8->i32`. */
export const DTYPE_SHORT: Readonly<Record<DType, string>> = {
  float32: 'f32', float64: 'f64', float16: 'f16', bfloat16: 'bf16',
  int8: 'i8', uint8: 'u8', int16: 'i16', uint16: 'u16', int32: 'i32', uint32: 'u32', int64: 'i64', uint64: 'u64',
  bool: 'bool', string: 'str', int4: 'i4', uint4: 'u4', int2: 'i2', uint2: 'u2',
  float8e4m3fn: 'f8e4m3fn', float8e4m3fnuz: 'f8e4m3fnuz', float8e5m2: 'f8e5m2', float8e5m2fnuz: 'f8e5m2fnuz',
  float8e8m0: 'f8e8m0', float4e2m1: 'f4e2m1',
};

const CTORS = {
  float32: Float32Array, float64: Float64Array, float16: Uint16Array, bfloat16: Uint16Array,
  int8: Int8Array, uint8: Uint8Array, int16: Int16Array, uint16: Uint16Array,
  int32: Int32Array, uint32: Uint32Array, int64: BigInt64Array, uint64: BigUint64Array,
  bool: Uint8Array, int4: Int8Array, uint4: Uint8Array, int2: Int8Array, uint2: Uint8Array,
  float8e4m3fn: Uint8Array, float8e4m3fnuz: Uint8Array, float8e5m2: Uint8Array, float8e5m2fnuz: Uint8Array,
  float8e8m0: Uint8Array, float4e2m1: Uint8Array,
} as const;

/** Whether two dims lists are equal, element by element (a loop: no string join or array built per call). */
export function sameDims(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function sizeOf(dims: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < dims.length; i++) n *= dims[i];
  return n;
}

/** A new zero-filled storage array for `n` elements of `dtype`. */
export function allocData<D extends DType>(dtype: D, n: number): DataOf[D] {
  if (dtype === 'string') return new Array<string>(n).fill('') as DataOf[D];
  const C = CTORS[dtype as Exclude<DType, 'string'>];
  return new C(n) as DataOf[D];
}

/** A storage view of `n` elements of a non-string `dtype` over the start of `buffer` (which holds at least that many bytes). */
export function viewData<D extends Exclude<DType, 'string'>>(dtype: D, buffer: ArrayBufferLike, n: number): DataOf[D] {
  return new CTORS[dtype](buffer as ArrayBuffer, 0, n) as DataOf[D];
}

/** Byte length below which `allocDataUninitialized` gives an ordinary zeroed array (small arrays live on the JS heap). */
const UNINITIALIZED_MIN_BYTES = 4096;

type NodeBuffer = { allocUnsafeSlow?(size: number): { buffer: ArrayBuffer; byteOffset: number } };

/**
 * Storage for `n` elements of a non-string `dtype` whose contents are unspecified, for a writer that sets every
 * element before anything reads it: in Node, arrays of 4 KiB or more sit on their own `Buffer.allocUnsafeSlow` memory
 * (no zero fill); elsewhere, and for smaller arrays, it is `allocData` (zeroed).
 */
export function allocDataUninitialized<D extends Exclude<DType, 'string'>>(dtype: D, n: number): DataOf[D] {
  const C = CTORS[dtype];
  const bytes = n * C.BYTES_PER_ELEMENT;
  const B = (globalThis as { Buffer?: NodeBuffer }).Buffer;
  if (bytes < UNINITIALIZED_MIN_BYTES || typeof B?.allocUnsafeSlow !== 'function') return new C(n) as DataOf[D];
  const b = B.allocUnsafeSlow(bytes);
  return new C(b.buffer, b.byteOffset, n) as DataOf[D];
}

/**
 * Sets every element of a numeric storage array to zero (0n for the 64-bit integer arrays); string arrays are left
 * as they are. The one place the zeroing contract of `RunContext` is carried out (zeroingContext, the runtime's pool).
 */
export function zeroFill(data: TensorData): void {
  if (Array.isArray(data)) return;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) data.fill(0n);
  else (data as Float32Array).fill(0);
}

/** True when `data` is the storage class `dtype` uses. */
export function isDataOf(dtype: DType, data: unknown): boolean {
  // Every Tensor construction checks this: the common dtypes against a constant class (the optimizing compiler inlines
  // the check; `CTORS[dtype]` with a varying key is a megamorphic load, about 3x the cost per call).
  if (dtype === 'float32') return data instanceof Float32Array;
  if (dtype === 'uint8') return data instanceof Uint8Array;
  if (dtype === 'int8') return data instanceof Int8Array;
  if (dtype === 'int32') return data instanceof Int32Array;
  if (dtype === 'int64') return data instanceof BigInt64Array;
  if (dtype === 'string') return Array.isArray(data) && data.every((s) => typeof s === 'string');
  return data instanceof CTORS[dtype];
}

export class Tensor<D extends DType = DType> {
  readonly dtype: D;
  readonly data: DataOf[D];
  readonly dims: readonly number[];

  constructor(dtype: D, data: DataOf[D] | readonly number[] | readonly bigint[] | readonly boolean[] | readonly string[], dims?: readonly number[]) {
    const storage = toStorage(dtype, data);
    const shape = dims ?? [storage.length];
    // Indexed loops: iterating a frozen dims array (another tensor's) with for-of or spread allocates an iterator
    // result per element in V8, and tensors are made on every kernel call.
    const rank = shape.length;
    const copy: number[] = [];
    let n = 1;
    for (let i = 0; i < rank; i++) {
      const d = shape[i];
      if (!Number.isInteger(d) || d < 0) throw new TypeError(`Tensor: dims must be non-negative integers, got [${shape.join(', ')}]`);
      copy.push(d);
      n *= d;
    }
    if (n !== storage.length) {
      throw new TypeError(`Tensor: ${dtype} data has ${storage.length} elements but dims [${shape.join(', ')}] need ${n}`);
    }
    this.dtype = dtype;
    this.data = storage;
    this.dims = Object.freeze(copy);
  }

  get size(): number {
    return this.data.length;
  }

  /** Same data, new dims (element count must match). Shares storage. */
  reshape(dims: readonly number[]): Tensor<D> {
    return new Tensor(this.dtype, this.data, dims);
  }
}

function toStorage<D extends DType>(dtype: D, data: unknown): DataOf[D] {
  if (isDataOf(dtype, data)) return data as DataOf[D];
  if (!Array.isArray(data)) {
    throw new TypeError(`Tensor: ${dtype} wants ${dtype === 'string' ? 'string[]' : CTORS[dtype as Exclude<DType, 'string'>].name}, got ${describe(data)}`);
  }
  const out = allocData(dtype, data.length) as unknown as { [i: number]: unknown; length: number };
  const big = dtype === 'int64' || dtype === 'uint64';
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (dtype === 'string') out[i] = String(v);
    else if (big) out[i] = typeof v === 'bigint' ? v : BigInt(v as number);
    else out[i] = typeof v === 'boolean' ? (v ? 1 : 0) : Number(v);
  }
  return out as unknown as DataOf[D];
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'object';
  return typeof x;
}
