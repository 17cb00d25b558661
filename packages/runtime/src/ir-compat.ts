/**
 * The onnx-ir helpers the runtime uses, in one place. While the codec and graph helpers of `@lowbit/onnx-ir` are
 * being written, this file carries minimal private versions; it switches to re-exports as they land.
 */
import type { DataType, TensorRef } from '@lowbit/onnx-ir';
import { allocData, sizeOf, type DType, type TensorData } from '@lowbit/kernels';

export { NodeError } from '@lowbit/onnx-ir';
export type { NodeErrorContext } from '@lowbit/onnx-ir';

const NAMES: Readonly<Record<number, DType>> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool',
  10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 16: 'bfloat16', 17: 'float8e4m3fn', 18: 'float8e4m3fnuz',
  19: 'float8e5m2', 20: 'float8e5m2fnuz', 21: 'uint4', 22: 'int4', 23: 'float4e2m1', 24: 'float8e8m0', 25: 'uint2', 26: 'int2',
};

/** ONNX data type number -> kernels dtype name; undefined for complex and UNDEFINED. */
export function dtypeOf(dt: DataType | number): DType | undefined {
  return NAMES[dt];
}

/** kernels dtype name -> ONNX data type number. */
export function dataTypeOfName(name: DType): DataType {
  for (const [k, v] of Object.entries(NAMES)) if (v === name) return Number(k) as DataType;
  throw new Error(`Lowbit internal error: no ONNX data type for ${name}`);
}

export interface TensorValues {
  readonly dtype: DType;
  readonly dims: number[];
  readonly data: TensorData;
}

const WIDTH: Partial<Record<DType, number>> = {
  float32: 4, float64: 8, float16: 2, bfloat16: 2, int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4,
  int64: 8, uint64: 8, bool: 1, float8e4m3fn: 1, float8e4m3fnuz: 1, float8e5m2: 1, float8e5m2fnuz: 1, float8e8m0: 1,
};
const SUB: Partial<Record<DType, { bits: number; signed: boolean }>> = {
  int4: { bits: 4, signed: true }, uint4: { bits: 4, signed: false }, float4e2m1: { bits: 4, signed: false },
  int2: { bits: 2, signed: true }, uint2: { bits: 2, signed: false },
};

/**
 * The element values of an in-memory tensor (inline, or lazy with a synchronous compute), in the kernels storage
 * convention. Raw layout is little-endian; sub-byte types are unpacked low bits first.
 */
export function tensorValuesSync(t: TensorRef): TensorValues {
  const dtype = dtypeOf(t.dtype);
  if (!dtype) throw new Error(`tensor "${t.name}": data type ${t.dtype} is not supported`);
  const n = sizeOf(t.dims);
  if (dtype === 'string') {
    if (t.kind !== 'inline') throw new Error(`tensor "${t.name}": string tensors must be inline`);
    const dec = new TextDecoder();
    const data = (t.strings ?? []).map((b) => dec.decode(b));
    return { dtype, dims: [...t.dims], data };
  }
  let raw: Uint8Array;
  if (t.kind === 'inline') raw = t.data;
  else if (t.kind === 'lazy') {
    const r = t.compute();
    if (r instanceof Promise) throw new Error(`tensor "${t.name}": lazy tensor computes asynchronously`);
    raw = r;
  } else throw new Error(`tensor "${t.name}": external data is not readable here yet`);
  const out = allocData(dtype, n) as unknown as { [i: number]: number | bigint; length: number };
  const sub = SUB[dtype];
  if (sub) {
    const per = 8 / sub.bits;
    const mask = (1 << sub.bits) - 1;
    for (let i = 0; i < n; i++) {
      let v = (raw[Math.floor(i / per)] >> ((i % per) * sub.bits)) & mask;
      if (sub.signed && v >= 1 << (sub.bits - 1)) v -= 1 << sub.bits;
      out[i] = v;
    }
  } else {
    const w = WIDTH[dtype]!;
    if (raw.length < n * w) throw new Error(`tensor "${t.name}": ${raw.length} bytes, expected ${n * w}`);
    const copy = raw.slice(0, n * w);
    const C = (out as unknown as { constructor: new (b: ArrayBufferLike, o: number, l: number) => typeof out }).constructor;
    const view = new C(copy.buffer, 0, n);
    if (dtype === 'bool') for (let i = 0; i < n; i++) out[i] = view[i] ? 1 : 0;
    else return { dtype, dims: [...t.dims], data: view as unknown as TensorData };
  }
  return { dtype, dims: [...t.dims], data: out as unknown as TensorData };
}

/** `{ name, opType }` for NodeError, with a readable name for unnamed nodes (`#<id>`, as onnx-ir's nodeLabel). */
export function nodeRef(n: { readonly name: string; readonly id?: string; readonly opType: string }): { name: string; opType: string } {
  return { name: n.name !== '' ? n.name : `#${n.id ?? '?'}`, opType: n.opType };
}
