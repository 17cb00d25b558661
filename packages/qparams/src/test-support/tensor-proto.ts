import { fields, int64, utf8, varints } from './proto-wire.js';

/**
 * A decoded ONNX TensorProto (only what the quantization node tests use): `values` as plain numbers in the
 * kernels' storage convention, i.e. integers for integer types (sub-byte types unpacked and sign-extended),
 * bit patterns for float16/bfloat16/float8/float4, float values for float32/float64.
 */
export interface TestTensor {
  readonly name: string;
  readonly dataType: number;
  readonly dims: number[];
  readonly values: number[];
}

/** TensorProto.DataType codes used here. */
export const DT = {
  FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, FLOAT16: 10, DOUBLE: 11, BFLOAT16: 16,
  FLOAT8E4M3FN: 17, FLOAT8E4M3FNUZ: 18, FLOAT8E5M2: 19, FLOAT8E5M2FNUZ: 20, UINT4: 21, INT4: 22, FLOAT4E2M1: 23,
  UINT2: 25, INT2: 26,
} as const;

/** Elements per byte for sub-byte types (packed low bits first), 0 otherwise. */
function perByte(dt: number): number {
  if (dt === DT.UINT4 || dt === DT.INT4 || dt === DT.FLOAT4E2M1) return 2;
  if (dt === DT.UINT2 || dt === DT.INT2) return 4;
  return 0;
}

function signExtend(v: number, bits: number): number {
  const s = 32 - bits;
  return (v << s) >> s;
}

/** Decodes TensorProto bytes (raw_data, float_data, int32_data, int64_data, double_data). */
export function decodeTestTensor(buf: Uint8Array): TestTensor {
  let name = '';
  let dataType = 0;
  const dims: number[] = [];
  let raw: Uint8Array | undefined;
  const floatData: number[] = [];
  const int32Data: number[] = [];
  const int64Data: number[] = [];
  const doubleData: number[] = [];
  for (const f of fields(buf)) {
    switch (f.field) {
      case 1: for (const v of varints(f)) dims.push(int64(v)); break;
      case 2: if (f.wire === 0) dataType = Number(f.varint); break;
      case 8: if (f.wire === 2) name = utf8(f.bytes); break;
      case 9: if (f.wire === 2) raw = f.bytes.slice(); break;
      case 4: {
        if (f.wire !== 2) break;
        const b = f.bytes;
        const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
        for (let o = 0; o + 4 <= b.byteLength; o += 4) floatData.push(dv.getFloat32(o, true));
        break;
      }
      case 10: {
        if (f.wire !== 2) break;
        const b = f.bytes;
        const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
        for (let o = 0; o + 8 <= b.byteLength; o += 8) doubleData.push(dv.getFloat64(o, true));
        break;
      }
      case 5: for (const v of varints(f)) int32Data.push(Number(BigInt.asIntN(32, v))); break;
      case 7: for (const v of varints(f)) int64Data.push(int64(v)); break;
      default: break;
    }
  }
  const count = dims.reduce((a, b) => a * b, 1);
  const pb = perByte(dataType);
  let values: number[];
  if (pb > 0) {
    const bytes = raw ?? Uint8Array.from(int32Data.map((v) => v & 0xff));
    const bits = 8 / pb;
    const signed = dataType === DT.INT4 || dataType === DT.INT2;
    values = [];
    for (let i = 0; i < count; i++) {
      const v = (bytes[(i / pb) | 0] >> ((i % pb) * bits)) & ((1 << bits) - 1);
      values.push(signed ? signExtend(v, bits) : v);
    }
  } else if (raw) {
    values = fromRaw(raw, dataType, count);
  } else if (dataType === DT.FLOAT) values = floatData;
  else if (dataType === DT.DOUBLE) values = doubleData;
  else if (dataType === DT.INT64) values = int64Data;
  else values = int32Data.map((v) => (dataType === DT.FLOAT16 || dataType === DT.BFLOAT16 ? v & 0xffff : dataType >= 17 ? v & 0xff : v));
  if (values.length !== count) throw new Error(`tensor ${name}: ${values.length} values for dims [${dims.join(', ')}]`);
  return { name, dataType, dims, values };
}

function fromRaw(raw: Uint8Array, dt: number, count: number): number[] {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    switch (dt) {
      case DT.FLOAT: out.push(dv.getFloat32(i * 4, true)); break;
      case DT.DOUBLE: out.push(dv.getFloat64(i * 8, true)); break;
      case DT.UINT8: out.push(dv.getUint8(i)); break;
      case DT.INT8: out.push(dv.getInt8(i)); break;
      case DT.UINT16: case DT.FLOAT16: case DT.BFLOAT16: out.push(dv.getUint16(i * 2, true)); break;
      case DT.INT16: out.push(dv.getInt16(i * 2, true)); break;
      case DT.INT32: out.push(dv.getInt32(i * 4, true)); break;
      case DT.INT64: out.push(Number(dv.getBigInt64(i * 8, true))); break;
      default:
        if (dt >= 17 && dt <= 20) { out.push(dv.getUint8(i)); break; }
        throw new Error(`tensor: unsupported data type ${dt}`);
    }
  }
  return out;
}
