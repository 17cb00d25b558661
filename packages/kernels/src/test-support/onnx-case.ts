/**
 * Decodes the parts of ONNX ModelProto / TensorProto that single-node conformance tests need into kernel-side
 * structures (Tensor, KernelNode attributes). Test support only: the real codec lives in @lowbit/onnx-ir.
 */
import { readFileSync } from 'node:fs';
import type { AttrValue } from '../contract.js';
import { Tensor, allocData, sizeOf, type DType } from '../tensor.js';
import { DTYPE_OF_ONNX } from '../ops/util/onnx-dtype.js';
import { asInt64, readFields, repeatedFixed, repeatedVarints, text, type Field } from './proto-reader.js';

export const DTYPE_OF_CODE = DTYPE_OF_ONNX;

export class UnsupportedCaseError extends Error {}

const BYTES: Partial<Record<DType, number>> = {
  float32: 4, float64: 8, float16: 2, bfloat16: 2, int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4,
  int64: 8, uint64: 8, bool: 1, float8e4m3fn: 1, float8e4m3fnuz: 1, float8e5m2: 1, float8e5m2fnuz: 1, float8e8m0: 1,
};
const SUBBYTE: Partial<Record<DType, { bits: number; signed: boolean }>> = {
  int4: { bits: 4, signed: true }, uint4: { bits: 4, signed: false }, float4e2m1: { bits: 4, signed: false },
  int2: { bits: 2, signed: true }, uint2: { bits: 2, signed: false },
};

export function decodeTensorProto(buf: Uint8Array): { name: string; tensor: Tensor } {
  const f = readFields(buf);
  const dims = repeatedVarints(f, 1).map((d) => Number(asInt64(d)));
  const code = Number(f.find((x) => x.no === 2)?.varint ?? 0n);
  const dtype = DTYPE_OF_CODE[code];
  if (!dtype) throw new UnsupportedCaseError(`tensor data type ${code} is not supported`);
  const name = text(f.find((x) => x.no === 8)?.bytes);
  const n = sizeOf(dims);
  const data = allocData(dtype, n) as unknown as { [i: number]: number | bigint | string; length: number };
  const raw = f.find((x) => x.no === 9)?.bytes;
  const sub = SUBBYTE[dtype];
  if (dtype === 'string') {
    const strs = f.filter((x) => x.no === 6).map((x) => text(x.bytes));
    for (let i = 0; i < n; i++) data[i] = strs[i];
  } else if (raw) {
    if (sub) {
      const per = 8 / sub.bits;
      const mask = (1 << sub.bits) - 1;
      for (let i = 0; i < n; i++) {
        let v = (raw[Math.floor(i / per)] >> ((i % per) * sub.bits)) & mask;
        if (sub.signed && v >= 1 << (sub.bits - 1)) v -= 1 << sub.bits;
        data[i] = v;
      }
    } else {
      const copy = Uint8Array.prototype.slice.call(raw);
      const width = BYTES[dtype]!;
      if (copy.length !== n * width) throw new UnsupportedCaseError(`raw_data has ${copy.length} bytes, expected ${n * width}`);
      const C = (data as unknown as { constructor: new (b: ArrayBuffer, o: number, l: number) => typeof data }).constructor;
      const view = new C(copy.buffer, 0, n);
      for (let i = 0; i < n; i++) data[i] = view[i];
    }
  } else if (dtype === 'float32') {
    repeatedFixed(f, 4, 4).forEach((v, i) => { data[i] = v; });
  } else if (dtype === 'float64') {
    repeatedFixed(f, 10, 8).forEach((v, i) => { data[i] = v; });
  } else if (dtype === 'int64') {
    repeatedVarints(f, 7).forEach((v, i) => { data[i] = asInt64(v); });
  } else if (dtype === 'uint64') {
    repeatedVarints(f, 11).forEach((v, i) => { data[i] = v; });
  } else if (dtype === 'uint32') {
    repeatedVarints(f, 11).forEach((v, i) => { data[i] = Number(v); });
  } else {
    const vals = repeatedVarints(f, 5).map((v) => Number(BigInt.asIntN(32, v)));
    if (sub) {
      const per = 8 / sub.bits;
      const mask = (1 << sub.bits) - 1;
      for (let i = 0; i < n; i++) {
        let v = (vals[Math.floor(i / per)] >> ((i % per) * sub.bits)) & mask;
        if (sub.signed && v >= 1 << (sub.bits - 1)) v -= 1 << sub.bits;
        data[i] = v;
      }
    } else vals.forEach((v, i) => { data[i] = v; });
  }
  return { name, tensor: new Tensor(dtype, data as never, dims) };
}

export interface CaseNode {
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: ReadonlyMap<string, AttrValue>;
}

export interface CaseModel {
  readonly opsets: ReadonlyMap<string, number>;
  readonly nodes: readonly CaseNode[];
  readonly initializers: ReadonlyMap<string, Tensor>;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

function decodeAttr(f: readonly Field[]): AttrValue {
  const type = Number(f.find((x) => x.no === 20)?.varint ?? 0n);
  const get = (no: number) => f.find((x) => x.no === no);
  const int = (v: bigint): number | bigint => {
    const s = asInt64(v);
    return s >= BigInt(Number.MIN_SAFE_INTEGER) && s <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(s) : s;
  };
  switch (type) {
    case 1: return repeatedFixed(f, 2, 4)[0] ?? 0;
    case 2: return int(get(3)?.varint ?? 0n);
    case 3: return text(get(4)?.bytes);
    case 4: return decodeTensorProto(get(5)!.bytes!).tensor;
    case 5: throw new UnsupportedCaseError('graph attributes (control flow) are not run by the kernel test driver');
    case 6: return repeatedFixed(f, 7, 4);
    case 7: {
      const vs = repeatedVarints(f, 8).map(asInt64);
      const safe = vs.every((v) => v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER));
      return safe ? vs.map(Number) : vs;
    }
    case 8: return f.filter((x) => x.no === 9).map((x) => text(x.bytes));
    case 9: return f.filter((x) => x.no === 10).map((x) => decodeTensorProto(x.bytes!).tensor);
    default: throw new UnsupportedCaseError(`attribute type ${type} is not supported`);
  }
}

function decodeNode(buf: Uint8Array): CaseNode {
  const f = readFields(buf);
  const attrs = new Map<string, AttrValue>();
  for (const a of f.filter((x) => x.no === 5)) {
    const af = readFields(a.bytes!);
    attrs.set(text(af.find((x) => x.no === 1)?.bytes), decodeAttr(af));
  }
  return {
    inputs: f.filter((x) => x.no === 1).map((x) => text(x.bytes)),
    outputs: f.filter((x) => x.no === 2).map((x) => text(x.bytes)),
    name: text(f.find((x) => x.no === 3)?.bytes),
    opType: text(f.find((x) => x.no === 4)?.bytes),
    domain: text(f.find((x) => x.no === 7)?.bytes),
    attrs,
  };
}

export function decodeModelProto(buf: Uint8Array): CaseModel {
  const f = readFields(buf);
  const opsets = new Map<string, number>();
  for (const o of f.filter((x) => x.no === 8)) {
    const of = readFields(o.bytes!);
    opsets.set(text(of.find((x) => x.no === 1)?.bytes), Number(of.find((x) => x.no === 2)?.varint ?? 0n));
  }
  const g = readFields(f.find((x) => x.no === 7)!.bytes!);
  const initializers = new Map<string, Tensor>();
  for (const i of g.filter((x) => x.no === 5)) {
    const t = decodeTensorProto(i.bytes!);
    initializers.set(t.name, t.tensor);
  }
  const valueName = (x: Field) => {
    const vf = readFields(x.bytes!);
    const type = vf.find((y) => y.no === 2);
    if (type && !readFields(type.bytes!).some((y) => y.no === 1)) {
      throw new UnsupportedCaseError('sequence/optional/map values are not run by the kernel test driver');
    }
    return text(vf.find((y) => y.no === 1)?.bytes);
  };
  return {
    opsets,
    nodes: g.filter((x) => x.no === 1).map((x) => decodeNode(x.bytes!)),
    initializers,
    inputs: g.filter((x) => x.no === 11).map(valueName).filter((n) => !initializers.has(n)),
    outputs: g.filter((x) => x.no === 12).map(valueName),
  };
}

export function readModelFile(path: string): CaseModel {
  return decodeModelProto(new Uint8Array(readFileSync(path)));
}

export function readTensorFile(path: string): Tensor {
  return decodeTensorProto(new Uint8Array(readFileSync(path))).tensor;
}
