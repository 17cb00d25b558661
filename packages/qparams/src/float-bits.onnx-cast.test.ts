/**
 * Every float8/float4/float8e8m0 Cast case of the ONNX backend node tests (onnx-node, opset 25), bit for bit, through
 * the one encoder/decoder (float-bits.ts, minifloat.ts, float8e8m0.ts): float32/float16 -> small float with and without
 * `saturate`, and small float -> float32/float16. The expected bits are ONNX's .pb outputs, e.g. float4e2m1 NaN -> 0x8.
 */
import { describe, expect, it } from 'vitest';
import { testdataPath } from '@lowbit/testing';
import {
  float16ToFloat32, float32ToFloat16, float32ToFloat4e2m1, float32ToFloat8, float4e2m1ToFloat32, float8ToFloat32,
  type Float8Kind,
} from './float-bits.js';
import { float32ToFloat8e8m0, float8e8m0ToFloat32 } from './float8e8m0.js';
import { DT, listCases, readOnnxCase, type TestTensor } from './test-support/onnx-case.js';

const F8: Readonly<Record<number, Float8Kind>> = {
  [DT.FLOAT8E4M3FN]: 'float8e4m3fn', [DT.FLOAT8E4M3FNUZ]: 'float8e4m3fnuz', [DT.FLOAT8E5M2]: 'float8e5m2', [DT.FLOAT8E5M2FNUZ]: 'float8e5m2fnuz',
};

/** Values of a float32 or float16 tensor as numbers. */
function floatValues(t: TestTensor): number[] {
  if (t.dataType === DT.FLOAT) return t.values;
  if (t.dataType === DT.FLOAT16) return t.values.map(float16ToFloat32);
  throw new Error(`${t.name}: expected float or float16, got data type ${t.dataType}`);
}

/** Encodes a number as `dataType` bits (small floats) or keeps it (float32; float16 as bits). */
function encode(x: number, dataType: number, saturate: boolean, roundMode: string): number {
  if (dataType === DT.FLOAT4E2M1) return float32ToFloat4e2m1(x);
  if (dataType === DT.FLOAT8E8M0) return float32ToFloat8e8m0(x, saturate, roundMode as 'up' | 'down' | 'nearest');
  const k = F8[dataType];
  if (k) return float32ToFloat8(x, k, saturate);
  if (dataType === DT.FLOAT16) return float32ToFloat16(x);
  if (dataType === DT.FLOAT) return Math.fround(x);
  throw new Error(`unexpected output data type ${dataType}`);
}

function decode(bits: number, dataType: number): number {
  if (dataType === DT.FLOAT4E2M1) return float4e2m1ToFloat32(bits);
  if (dataType === DT.FLOAT8E8M0) return float8e8m0ToFloat32(bits);
  const k = F8[dataType];
  if (k) return float8ToFloat32(bits, k);
  throw new Error(`unexpected input data type ${dataType}`);
}

/** NaN-aware, -0-aware comparable form (bit patterns are integers, so only decoded floats meet NaN/-0). */
const key = (v: number): string => (Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '-0' : String(v));

const SMALL = new Set<number>([DT.FLOAT4E2M1, DT.FLOAT8E8M0, ...Object.keys(F8).map(Number)]);
const base = testdataPath('onnx-node');
const cases = listCases(base, 'test_cast_').filter((dir) => {
  const name = dir.split('/').at(-1)!;
  return /FLOAT8|FLOAT4|e8m0/.test(name);
});

describe('ONNX Cast cases through the one float8/float4 encoder', () => {
  it('finds the cases (every small-float Cast direction, 32 of them)', () => {
    expect(cases.length).toBe(32);
  });
  for (const dir of cases) {
    const c = readOnnxCase(dir, ['Cast']);
    const [x] = c.inputs;
    const [y] = c.outputs;
    it(`${c.name}: ${x.values.length} values`, () => {
      if (SMALL.has(y.dataType)) {
        const saturate = (c.ints.saturate ?? 1) === 1;
        const got = floatValues(x).map((v) => encode(v, y.dataType, saturate, c.strings.round_mode ?? 'up'));
        expect(got.map((b) => `0x${b.toString(16)}`)).toEqual(y.values.map((b) => `0x${b.toString(16)}`));
      } else {
        const values = x.values.map((b) => decode(b, x.dataType));
        const got = y.dataType === DT.FLOAT16 ? values.map((v) => float16ToFloat32(float32ToFloat16(v))) : values;
        expect(got.map(key)).toEqual(floatValues(y).map(key));
      }
    });
  }
});
