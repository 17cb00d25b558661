/**
 * TensorProto <-> TensorRef.
 *
 * Inline tensors keep their bytes in raw_data layout (little-endian; int4/uint4/float4e2m1 two per byte, low nibble
 * first; int2/uint2 four per byte, lowest bits first; bool one byte; float16/bfloat16/float8 as bit patterns) whether
 * the proto used raw_data or a typed field. `encoding` remembers which, so encoding gives the same form back.
 *
 * Typed fields, as onnx.proto specifies them:
 * - float_data: FLOAT, COMPLEX64 (real, imaginary pairs)
 * - double_data: DOUBLE, COMPLEX128
 * - int64_data: INT64
 * - uint64_data: UINT32, UINT64
 * - string_data: STRING
 * - int32_data: INT32, INT16, INT8, UINT16, UINT8, BOOL, FLOAT16, BFLOAT16 and the float8 kinds (one element per
 *   entry, 16- and 8-bit floats as their bit patterns), and INT4, UINT4, FLOAT4E2M1, INT2, UINT2 as packed bytes
 *   (one packed byte per entry).
 */
import { ModelFormatError } from './errors.js';
import { bigIntToLong, longToNumber, type LongLike } from './long.js';
import { DataType, type ExternalTensor, type InlineTensor, type StringEntry, type TensorRef } from './types.js';

/** The decoded protobufjs TensorProto message (fields we read). */
export interface TensorMsg {
  dims: LongLike[];
  dataType: number;
  segment?: { begin: LongLike; end: LongLike };
  floatData: number[];
  int32Data: number[];
  stringData: Uint8Array[];
  int64Data: LongLike[];
  name: string;
  docString: string;
  rawData: Uint8Array;
  externalData: { key: string; value: string }[];
  dataLocation: number;
  doubleData: number[];
  uint64Data: LongLike[];
  metadataProps: { key: string; value: string }[];
}

type TypedField = 'floatData' | 'doubleData' | 'int64Data' | 'uint64Data' | 'stringData' | 'int32Data';
const TYPED_FIELDS: readonly TypedField[] = ['floatData', 'doubleData', 'int64Data', 'uint64Data', 'stringData', 'int32Data'];

/** Which typed field holds elements of `dt`, per onnx.proto. */
export function typedFieldOf(dt: number): TypedField | undefined {
  switch (dt) {
    case DataType.FLOAT: case DataType.COMPLEX64: return 'floatData';
    case DataType.DOUBLE: case DataType.COMPLEX128: return 'doubleData';
    case DataType.INT64: return 'int64Data';
    case DataType.UINT32: case DataType.UINT64: return 'uint64Data';
    case DataType.STRING: return 'stringData';
    case DataType.UNDEFINED: return undefined;
    default: return dt >= 1 && dt <= 26 ? 'int32Data' : undefined;
  }
}

const has = (m: object, k: string): boolean => Object.prototype.hasOwnProperty.call(m, k);

export function entriesFrom(list: readonly { key: string; value: string }[]): StringEntry[] {
  return list.map((e) => ({ key: e.key, value: e.value }));
}

/** TensorProto message -> TensorRef. `where` names the tensor's place for error messages. */
export function tensorFromMsg(m: TensorMsg, where: string, baseDir: string | undefined): TensorRef {
  const name = m.name;
  const dtype = m.dataType as DataType;
  const dims = m.dims.map(longToNumber);
  const common: { -readonly [K in keyof InlineTensor]?: InlineTensor[K] } = { name, dtype, dims };
  if (has(m, 'docString')) common.docString = m.docString;
  if (m.metadataProps.length > 0) common.metadataProps = entriesFrom(m.metadataProps);
  if (m.segment !== undefined && m.segment !== null) {
    common.segment = { begin: longToNumber(m.segment.begin), end: longToNumber(m.segment.end) };
  }
  if (m.dataLocation === 1) return externalFromMsg(m, common, where, baseDir);
  if (has(m, 'rawData')) {
    for (const f of TYPED_FIELDS) {
      if (m[f].length > 0) throw new ModelFormatError(`${where}: tensor "${name}" has both raw_data and ${f}`, { what: 'tensor', where });
    }
    const raw = m.rawData;
    const data = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
    return { ...common, kind: 'inline', data, encoding: 'raw' } as InlineTensor;
  }
  const field = typedFieldOf(dtype);
  for (const f of TYPED_FIELDS) {
    if (f !== field && m[f].length > 0) {
      throw new ModelFormatError(`${where}: tensor "${name}" of data type ${dtype} has values in ${f}, expected ${field ?? 'none'}`, { what: 'tensor', where });
    }
  }
  if (field === 'stringData') {
    const strings = m.stringData.map((s) => new Uint8Array(s.buffer, s.byteOffset, s.byteLength));
    return { ...common, kind: 'inline', data: new Uint8Array(0), encoding: 'typed', strings } as InlineTensor;
  }
  return { ...common, kind: 'inline', data: field === undefined ? new Uint8Array(0) : typedToRaw(dtype, field, m), encoding: 'typed' } as InlineTensor;
}

function externalFromMsg(m: TensorMsg, common: object, where: string, baseDir: string | undefined): ExternalTensor {
  const entries = entriesFrom(m.externalData);
  let location: string | undefined;
  let offset = 0;
  let length: number | undefined;
  let checksum: string | undefined;
  const num = (key: string, v: string): number => {
    if (!/^\d+$/.test(v)) throw new ModelFormatError(`${where}: tensor "${m.name}" external_data ${key} "${v}" is not a non-negative integer`, { what: 'tensor', where });
    return Number(v);
  };
  for (const e of entries) {
    if (e.key === 'location') location = e.value;
    else if (e.key === 'offset') offset = num('offset', e.value);
    else if (e.key === 'length') length = num('length', e.value);
    else if (e.key === 'checksum') checksum = e.value;
  }
  if (location === undefined) {
    throw new ModelFormatError(`${where}: tensor "${m.name}" has data_location EXTERNAL but no "location" entry`, { what: 'tensor', where });
  }
  const t: { -readonly [K in keyof ExternalTensor]?: ExternalTensor[K] } = { ...common, kind: 'external', location, offset, length, entries };
  if (checksum !== undefined) t.checksum = checksum;
  if (baseDir !== undefined) t.baseDir = baseDir;
  return t as ExternalTensor;
}

function typedToRaw(dtype: number, field: Exclude<TypedField, 'stringData'>, m: TensorMsg): Uint8Array {
  switch (field) {
    case 'floatData': return u8(Float32Array.from(m.floatData));
    case 'doubleData': return u8(Float64Array.from(m.doubleData));
    case 'int64Data': return longsToBytes(m.int64Data);
    case 'uint64Data':
      if (dtype === DataType.UINT32) return u8(Uint32Array.from(m.uint64Data, (v) => (typeof v === 'number' ? v : v.low) >>> 0));
      return longsToBytes(m.uint64Data);
    case 'int32Data': {
      const v = m.int32Data;
      if (dtype === DataType.INT32) return u8(Int32Array.from(v));
      if (dtype === DataType.INT16 || dtype === DataType.UINT16 || dtype === DataType.FLOAT16 || dtype === DataType.BFLOAT16) {
        return u8(Uint16Array.from(v, (x) => x & 0xffff));
      }
      return Uint8Array.from(v, (x) => x & 0xff);
    }
  }
}

function u8(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function longsToBytes(list: readonly LongLike[]): Uint8Array {
  const out = new Int32Array(list.length * 2);
  for (let i = 0; i < list.length; i++) {
    const v = list[i]!;
    if (typeof v === 'number') {
      const b = bigIntToLong(BigInt(v));
      out[2 * i] = b.low;
      out[2 * i + 1] = b.high;
    } else {
      out[2 * i] = v.low;
      out[2 * i + 1] = v.high;
    }
  }
  return u8(out);
}

/** An aligned copy when `data` sits at an offset a `bytes`-wide view cannot start at. */
function aligned(data: Uint8Array, bytes: number): Uint8Array {
  return data.byteOffset % bytes === 0 ? data : data.slice();
}

/** Plain object accepted by protobufjs' TensorProto encoder. */
export function tensorToMsg(t: TensorRef, where: string): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (t.dims.length > 0) o.dims = t.dims;
  o.dataType = t.dtype;
  if (t.segment !== undefined) o.segment = { begin: t.segment.begin, end: t.segment.end };
  if (t.name !== '') o.name = t.name;
  if (t.docString !== undefined) o.docString = t.docString;
  if (t.metadataProps !== undefined && t.metadataProps.length > 0) o.metadataProps = t.metadataProps.map((e) => ({ key: e.key, value: e.value }));
  if (t.kind === 'external') {
    o.externalData = externalEntries(t);
    o.dataLocation = 1;
    return o;
  }
  let data: Uint8Array;
  if (t.kind === 'lazy') {
    const r = t.compute();
    if (r instanceof Promise) {
      throw new ModelFormatError(`${where}: tensor "${t.name}" is lazy and computes asynchronously; materialize it or use saveModel`, { what: 'tensor', where });
    }
    data = r;
    o.rawData = data;
    return o;
  }
  if (t.encoding === 'raw') {
    o.rawData = t.data;
    return o;
  }
  const field = typedFieldOf(t.dtype);
  if (field === 'stringData') {
    if (t.strings !== undefined && t.strings.length > 0) o.stringData = t.strings;
    return o;
  }
  data = t.data;
  if (data.byteLength === 0 || field === undefined) {
    if (data.byteLength > 0) o.rawData = data;
    return o;
  }
  const bad = (w: number): never => {
    throw new ModelFormatError(`${where}: tensor "${t.name}" has ${data.byteLength} bytes, not a multiple of ${w}`, { what: 'tensor', where });
  };
  const dt = t.dtype;
  switch (field) {
    case 'floatData':
      if (data.byteLength % 4) bad(4);
      o.floatData = Array.from(new Float32Array(aligned(data, 4).buffer, aligned(data, 4).byteOffset, data.byteLength / 4));
      break;
    case 'doubleData': {
      if (data.byteLength % 8) bad(8);
      const a = aligned(data, 8);
      o.doubleData = Array.from(new Float64Array(a.buffer, a.byteOffset, data.byteLength / 8));
      break;
    }
    case 'int64Data':
    case 'uint64Data': {
      if (dt === DataType.UINT32) {
        if (data.byteLength % 4) bad(4);
        const a = aligned(data, 4);
        o.uint64Data = Array.from(new Uint32Array(a.buffer, a.byteOffset, data.byteLength / 4));
        break;
      }
      if (data.byteLength % 8) bad(8);
      const a = aligned(data, 8);
      const w = new Int32Array(a.buffer, a.byteOffset, data.byteLength / 4);
      const unsigned = field === 'uint64Data';
      const list = new Array<{ low: number; high: number; unsigned: boolean }>(w.length / 2);
      for (let i = 0; i < list.length; i++) list[i] = { low: w[2 * i]!, high: w[2 * i + 1]!, unsigned };
      o[field] = list;
      break;
    }
    case 'int32Data': {
      let list: number[];
      if (dt === DataType.INT32) {
        if (data.byteLength % 4) bad(4);
        const a = aligned(data, 4);
        list = Array.from(new Int32Array(a.buffer, a.byteOffset, data.byteLength / 4));
      } else if (dt === DataType.INT16) {
        if (data.byteLength % 2) bad(2);
        const a = aligned(data, 2);
        list = Array.from(new Int16Array(a.buffer, a.byteOffset, data.byteLength / 2));
      } else if (dt === DataType.UINT16 || dt === DataType.FLOAT16 || dt === DataType.BFLOAT16) {
        if (data.byteLength % 2) bad(2);
        const a = aligned(data, 2);
        list = Array.from(new Uint16Array(a.buffer, a.byteOffset, data.byteLength / 2));
      } else if (dt === DataType.INT8) {
        list = Array.from(new Int8Array(data.buffer, data.byteOffset, data.byteLength));
      } else {
        list = Array.from(data);
      }
      o.int32Data = list;
      break;
    }
  }
  return o;
}

/**
 * The external_data entries to write: `entries` verbatim, except that `location`, `offset`, `length` and `checksum`
 * follow the tensor's fields when they disagree (an edited or hand-built tensor), and missing ones are appended.
 */
function externalEntries(t: ExternalTensor): { key: string; value: string }[] {
  const want = new Map<string, string | undefined>([
    ['location', t.location],
    ['offset', t.offset === 0 && !t.entries.some((e) => e.key === 'offset') ? undefined : String(t.offset)],
    ['length', t.length === undefined ? undefined : String(t.length)],
    ['checksum', t.checksum],
  ]);
  const same = (key: string, a: string, b: string): boolean => (key === 'offset' || key === 'length' ? /^\d+$/.test(a) && Number(a) === Number(b) : a === b);
  const out: { key: string; value: string }[] = [];
  const seen = new Set<string>();
  for (const e of t.entries) {
    if (!want.has(e.key)) { out.push({ key: e.key, value: e.value }); continue; }
    if (seen.has(e.key)) continue;
    seen.add(e.key);
    const w = want.get(e.key);
    if (w === undefined) continue;
    out.push({ key: e.key, value: same(e.key, e.value, w) ? e.value : w });
  }
  for (const [key, w] of want) if (!seen.has(key) && w !== undefined) out.push({ key, value: w });
  return out;
}
