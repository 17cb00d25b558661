import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { testdataPath } from '@lowbit/testing';
import fc from 'fast-check';
import { onnx } from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { decodeModel, decodeTensor, encodeTensor } from './codec.js';
import { dataTypeBits, dataTypeFromName, dataTypeName } from './dtype.js';
import { ModelFormatError, TensorDataError } from './errors.js';
import { tensorValuesSync } from './tensor-store.js';
import { tensorFromValues, valuesFromBytes } from './tensor-values.js';
import { DataType, type InlineTensor, type TensorRef } from './types.js';

describe('packing, hand-derived from the onnx.proto rules', () => {
  it('int4 packs two per byte, low nibble first, two\'s complement', () => {
    // -1 = 0b1111 (low nibble), 2 = 0b0010 (high nibble) -> 0x2F; 7 alone -> 0x07 with a zero high nibble.
    const t = tensorFromValues('w', DataType.INT4, [3], [-1, 2, 7]);
    expect([...t.data]).toEqual([0x2f, 0x07]);
    expect([...(valuesFromBytes(t, t.data).data as Int8Array)]).toEqual([-1, 2, 7]);
  });
  it('uint4 and float4e2m1 pack the same way, unsigned', () => {
    expect([...tensorFromValues('u', DataType.UINT4, [2], [15, 1]).data]).toEqual([0x1f]);
    expect([...tensorFromValues('f', DataType.FLOAT4E2M1, [1], [0b1010]).data]).toEqual([0x0a]);
  });
  it('int2 packs four per byte from the lowest bits', () => {
    // 1 -> 01, -2 -> 10, 0 -> 00, -1 -> 11; bits 0-1, 2-3, 4-5, 6-7: 0b11_00_10_01 = 0xC9.
    const t = tensorFromValues('w', DataType.INT2, [2, 2], [1, -2, 0, -1]);
    expect([...t.data]).toEqual([0xc9]);
    expect([...(valuesFromBytes(t, t.data).data as Int8Array)]).toEqual([1, -2, 0, -1]);
    // uint2 [3, 0, 1, 2, 3] -> byte0 = 3 | 0<<2 | 1<<4 | 2<<6 = 0x93, byte1 = 3.
    expect([...tensorFromValues('u', DataType.UINT2, [5], [3, 0, 1, 2, 3]).data]).toEqual([0x93, 0x03]);
  });
  it('float16 is stored as bit patterns, little-endian', () => {
    // 1.0 in float16 is 0x3C00 -> bytes 00 3C.
    const t = tensorFromValues('h', DataType.FLOAT16, [1], [0x3c00]);
    expect([...t.data]).toEqual([0x00, 0x3c]);
    expect(valuesFromBytes(t, t.data).data).toEqual(new Uint16Array([0x3c00]));
  });
  it('int64 is little-endian two\'s complement; bool normalizes to 0/1', () => {
    expect([...tensorFromValues('i', DataType.INT64, [1], [-2n]).data]).toEqual([0xfe, 255, 255, 255, 255, 255, 255, 255]);
    const b: InlineTensor = { kind: 'inline', name: 'b', dtype: DataType.BOOL, dims: [2], data: new Uint8Array([0, 7]), encoding: 'raw' };
    expect(tensorValuesSync(b).data).toEqual(new Uint8Array([0, 1]));
  });
  it('typed int32_data holds int4 as packed bytes and float16 as bit patterns', () => {
    // A TensorProto written with onnx-proto: INT4 dims [3], int32_data [0x2F, 0x07] -> values [-1, 2, 7].
    const bytes = onnx.TensorProto.encode({ dims: [3], dataType: 22, int32Data: [0x2f, 0x07] }).finish();
    const t = decodeTensor(bytes);
    expect(t.kind === 'inline' && t.encoding).toBe('typed');
    expect([...(tensorValuesSync(t).data as Int8Array)]).toEqual([-1, 2, 7]);
    // Re-encoding keeps int32_data (onnx-proto packs dims as proto3 does, so compare decoded forms, not bytes).
    expect(decodeTensor(encodeTensor(t as InlineTensor))).toEqual(t);
    const h = decodeTensor(onnx.TensorProto.encode({ dims: [2], dataType: 10, int32Data: [0x3c00, 0xbc00] }).finish());
    expect(tensorValuesSync(h).data).toEqual(new Uint16Array([0x3c00, 0xbc00]));
  });
  it('rejects values that do not fit, and wrong sizes', () => {
    expect(() => tensorFromValues('w', DataType.INT4, [1], [8])).toThrow(TensorDataError);
    expect(() => tensorFromValues('w', DataType.UINT8, [1], [-1])).toThrow(TensorDataError);
    expect(() => tensorFromValues('w', DataType.FLOAT, [2], [1])).toThrow(/1 values, dims \[2\]/);
    const short: InlineTensor = { kind: 'inline', name: 'x', dtype: DataType.FLOAT, dims: [2], data: new Uint8Array(4), encoding: 'raw' };
    expect(() => tensorValuesSync(short)).toThrow(ModelFormatError);
  });
  it('names every data type both ways', () => {
    for (let dt = 1; dt <= 26; dt++) expect(dataTypeFromName(dataTypeName(dt))).toBe(dt);
    expect(dataTypeName(22)).toBe('int4');
    expect(dataTypeName(1)).toBe('float32');
    expect(() => dataTypeName(0)).toThrow(RangeError);
  });
});

const INT_RANGE: Record<number, [number, number]> = {
  [DataType.INT4]: [-8, 7], [DataType.UINT4]: [0, 15], [DataType.INT2]: [-2, 1], [DataType.UINT2]: [0, 3],
  [DataType.FLOAT4E2M1]: [0, 15], [DataType.INT8]: [-128, 127], [DataType.UINT8]: [0, 255], [DataType.BOOL]: [0, 1],
  [DataType.INT16]: [-32768, 32767], [DataType.UINT16]: [0, 65535], [DataType.FLOAT16]: [0, 65535],
  [DataType.BFLOAT16]: [0, 65535], [DataType.FLOAT8E4M3FN]: [0, 255], [DataType.FLOAT8E5M2]: [0, 255],
  [DataType.FLOAT8E8M0]: [0, 255], [DataType.INT32]: [-(2 ** 31), 2 ** 31 - 1], [DataType.UINT32]: [0, 2 ** 32 - 1],
};

describe('tensorFromValues / tensorValues laws', () => {
  it('values -> bytes -> values is the identity for every integer-like dtype, and typed re-encoding keeps it', () => {
    const arb = fc.constantFrom(...Object.keys(INT_RANGE).map(Number)).chain((dt) =>
      fc.tuple(fc.constant(dt), fc.array(fc.integer({ min: INT_RANGE[dt]![0], max: INT_RANGE[dt]![1] }), { maxLength: 33 })));
    fc.assert(fc.property(arb, ([dt, vals]) => {
      const t = tensorFromValues('t', dt as DataType, [vals.length], vals);
      expect(t.data.byteLength).toBe(Math.ceil((vals.length * dataTypeBits(dt)) / 8));
      expect(Array.from(tensorValuesSync(t).data as ArrayLike<number>)).toEqual(vals);
      // The same tensor written with typed fields decodes to the same bytes.
      const typed = decodeTensor(encodeTensor({ ...t, encoding: 'typed' }));
      expect((typed as InlineTensor).encoding).toBe('typed');
      expect([...(typed as InlineTensor).data]).toEqual([...t.data]);
    }));
  });
  it('float32, float64, int64, uint64 and string values round-trip', () => {
    fc.assert(fc.property(fc.array(fc.float({ noNaN: true }), { maxLength: 9 }), fc.array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { maxLength: 9 }),
      fc.array(fc.string(), { maxLength: 5 }), (fs, bs, ss) => {
        expect([...(tensorValuesSync(tensorFromValues('f', DataType.FLOAT, [fs.length], fs)).data as Float32Array)]).toEqual(fs);
        expect([...(tensorValuesSync(tensorFromValues('d', DataType.DOUBLE, [fs.length], fs)).data as Float64Array)]).toEqual(fs);
        expect([...(tensorValuesSync(tensorFromValues('i', DataType.INT64, [bs.length], bs)).data as BigInt64Array)]).toEqual(bs);
        const us = bs.map((b) => BigInt.asUintN(64, b));
        expect([...(tensorValuesSync(tensorFromValues('u', DataType.UINT64, [us.length], us)).data as BigUint64Array)]).toEqual(us);
        const st = tensorFromValues('s', DataType.STRING, [ss.length], ss);
        expect(tensorValuesSync(decodeTensor(encodeTensor(st))).data).toEqual(ss);
      }));
  });
});

/** Independent reference: element values straight from onnx-proto's decoded message, using DataView / bit arithmetic. */
function referenceValues(m: onnx.TensorProto): unknown[] {
  const dt = m.dataType;
  const n = m.dims.reduce((a: number, d) => a * Number(d), 1);
  const raw = m.rawData && m.rawData.length > 0 ? m.rawData : undefined;
  if (dt === DataType.STRING) return m.stringData.map((s) => Buffer.from(s).toString('utf8'));
  const bits = dataTypeBits(dt);
  if (raw === undefined) {
    if (dt === DataType.FLOAT || dt === DataType.COMPLEX64) return m.floatData.map((v) => Math.fround(v));
    if (dt === DataType.DOUBLE || dt === DataType.COMPLEX128) return m.doubleData.slice();
    if (dt === DataType.INT64) return m.int64Data.map((v) => BigInt(v.toString()));
    if (dt === DataType.UINT64) return m.uint64Data.map((v) => BigInt(v.toString()));
    if (dt === DataType.UINT32) return m.uint64Data.map((v) => Number(v.toString()));
    if (bits >= 8) return m.int32Data.map((v) => (dt === DataType.BOOL ? (v !== 0 ? 1 : 0) : v));
  }
  const bytes = raw ?? Uint8Array.from(m.int32Data, (v) => v & 255);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: unknown[] = [];
  const count = dt === DataType.COMPLEX64 || dt === DataType.COMPLEX128 ? 2 * n : n;
  for (let i = 0; i < count; i++) {
    switch (dt) {
      case DataType.FLOAT: case DataType.COMPLEX64: out.push(dv.getFloat32(4 * i, true)); break;
      case DataType.DOUBLE: case DataType.COMPLEX128: out.push(dv.getFloat64(8 * i, true)); break;
      case DataType.INT64: out.push(dv.getBigInt64(8 * i, true)); break;
      case DataType.UINT64: out.push(dv.getBigUint64(8 * i, true)); break;
      case DataType.INT32: out.push(dv.getInt32(4 * i, true)); break;
      case DataType.UINT32: out.push(dv.getUint32(4 * i, true)); break;
      case DataType.INT16: out.push(dv.getInt16(2 * i, true)); break;
      case DataType.UINT16: case DataType.FLOAT16: case DataType.BFLOAT16: out.push(dv.getUint16(2 * i, true)); break;
      case DataType.INT8: out.push(dv.getInt8(i)); break;
      case DataType.BOOL: out.push(dv.getUint8(i) !== 0 ? 1 : 0); break;
      default: {
        if (bits === 8) { out.push(dv.getUint8(i)); break; }
        const bitPos = i * bits;
        const v = (dv.getUint8(Math.floor(bitPos / 8)) >>> (bitPos % 8)) & ((1 << bits) - 1);
        const signed = dt === DataType.INT4 || dt === DataType.INT2;
        out.push(signed && v >= 1 << (bits - 1) ? v - (1 << bits) : v);
      }
    }
  }
  return out;
}

function caseDirs(): string[] {
  const root = testdataPath('onnx-node');
  return readdirSync(root).sort().map((c) => join(root, c)).filter((d) => existsSync(join(d, 'model.onnx')));
}

describe('every onnx-node test_data_set tensor', () => {
  it('decodes to the dtype and shape the model declares, and to the values onnx-proto reads', () => {
    let checked = 0;
    const failures: string[] = [];
    for (const dir of caseDirs()) {
      const model = decodeModel(new Uint8Array(readFileSync(join(dir, 'model.onnx'))));
      const inits = new Set(model.graph.initializers.map((t) => t.name));
      const inputs = model.graph.inputs.filter((v) => !inits.has(v.name));
      for (const set of readdirSync(dir).filter((s) => s.startsWith('test_data_set_'))) {
        for (const file of readdirSync(join(dir, set)).filter((f) => f.endsWith('.pb'))) {
          const m = /^(input|output)_(\d+)\.pb$/.exec(file);
          if (m === null) continue;
          const bytes = new Uint8Array(readFileSync(join(dir, set, file)));
          const decl = (m[1] === 'input' ? inputs : model.graph.outputs)[Number(m[2])];
          // Sequence/optional/map values are stored as SequenceProto/OptionalProto, not TensorProto: skipped.
          if (decl?.type?.kind !== 'tensor') continue;
          const t: TensorRef = decodeTensor(bytes);
          const where = `${dir}/${set}/${file}`;
          if (decl.type.elemType !== t.dtype) failures.push(`${where}: dtype ${t.dtype} vs declared ${decl.type.elemType}`);
          const shape = decl.type.shape;
          if (shape !== undefined && shape.every((d) => typeof d === 'number') && shape.join() !== t.dims.join()) {
            failures.push(`${where}: dims [${t.dims}] vs declared [${shape}]`);
          }
          const values = Array.from(tensorValuesSync(t).data as ArrayLike<unknown>);
          const ref = referenceValues(onnx.TensorProto.decode(bytes));
          if (values.length !== ref.length || values.some((v, i) => !Object.is(v, ref[i]))) failures.push(`${where}: values differ from onnx-proto`);
          checked++;
        }
      }
    }
    expect(failures.slice(0, 5)).toEqual([]);
    expect(checked).toBeGreaterThan(4000);
  });

  it('Cast test cases agree: int4/uint4/int2/uint2 inputs equal their exact int8/uint8 Cast outputs', () => {
    const root = testdataPath('onnx-node');
    let n = 0;
    for (const [from, to] of [['INT4', 'INT8'], ['UINT4', 'UINT8'], ['INT2', 'INT8'], ['UINT2', 'UINT8']] as const) {
      const dir = join(root, `test_cast_${from}_to_${to}`);
      if (!existsSync(dir)) continue;
      const a = tensorValuesSync(decodeTensor(new Uint8Array(readFileSync(join(dir, 'test_data_set_0', 'input_0.pb')))));
      const b = tensorValuesSync(decodeTensor(new Uint8Array(readFileSync(join(dir, 'test_data_set_0', 'output_0.pb')))));
      expect(dataTypeName(a.dtype)).toBe(from.toLowerCase());
      expect(a.dims).toEqual(b.dims);
      expect([...(a.data as Int8Array)]).toEqual([...(b.data as Int8Array)]);
      n++;
    }
    expect(n).toBeGreaterThanOrEqual(2);
  });

  it('float4e2m1 inputs match their float Cast outputs by the e2m1 formula', () => {
    const dir = join(testdataPath('onnx-node'), 'test_cast_FLOAT4E2M1_to_FLOAT');
    const a = tensorValuesSync(decodeTensor(new Uint8Array(readFileSync(join(dir, 'test_data_set_0', 'input_0.pb')))));
    const b = tensorValuesSync(decodeTensor(new Uint8Array(readFileSync(join(dir, 'test_data_set_0', 'output_0.pb')))));
    // e2m1: sign bit 3, exponent bits 1-2 (bias 1), mantissa bit 0; exponent 0 is subnormal (0 or 0.5).
    const e2m1 = (v: number): number => {
      const s = v & 8 ? -1 : 1;
      const e = (v >> 1) & 3;
      const m = v & 1;
      return s * (e === 0 ? m * 0.5 : 2 ** (e - 1) * (1 + m / 2));
    };
    expect([...(a.data as Uint8Array)].map(e2m1)).toEqual([...(b.data as Float32Array)]);
  });

  it('typed int32_data sub-byte inputs (packed bytes) dequantize to the expected outputs: y = (x - zp) * scale', () => {
    // These .pb files use int32_data (checked below), so this pins the packed-bytes reading of typed fields against
    // outputs computed by the ONNX reference implementation.
    for (const kind of ['int4', 'uint4', 'int2', 'uint2']) {
      const dir = join(testdataPath('onnx-node'), `test_dequantizelinear_${kind}`, 'test_data_set_0');
      const read = (f: string) => decodeTensor(new Uint8Array(readFileSync(join(dir, f))));
      const xt = read('input_0.pb');
      expect((xt as InlineTensor).encoding).toBe('typed');
      const x = tensorValuesSync(xt).data as Int8Array;
      const scale = (tensorValuesSync(read('input_1.pb')).data as Float32Array)[0]!;
      const zp = (tensorValuesSync(read('input_2.pb')).data as Int8Array)[0]!;
      const y = tensorValuesSync(read('output_0.pb')).data as Float32Array;
      expect([...x].map((v) => Math.fround((v - zp) * scale))).toEqual([...y]);
    }
  });
});
