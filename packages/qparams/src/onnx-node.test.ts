import { describe, expect, it } from 'vitest';
import { dequantize } from './dequantize.js';
import type { QuantDType } from './dtypes.js';
import { dynamicQuantize } from './dynamic-quantize.js';
import { bfloat16ToFloat32, float16ToFloat32 } from './float-bits.js';
import { quantize, type DivisionPrecision } from './quantize.js';
import { testdataPath } from '@lowbit/testing';
import { DT, listCases, readOnnxCase, type OnnxCase, type TestTensor } from './test-support/onnx-case.js';

// Bit-exact conformance with every QuantizeLinear / DequantizeLinear / DynamicQuantizeLinear case of the ONNX
// backend node tests (onnx-node, opset 25 for Q/DQ and 11 for DynamicQuantizeLinear) and of the ONNX v1.13 copies
// (onnx-node-v1.13-quant, opsets 10/13). Expected values are the .pb outputs written by ONNX's reference.

const QDTYPE: Readonly<Record<number, QuantDType>> = {
  [DT.UINT8]: 'uint8', [DT.INT8]: 'int8', [DT.UINT16]: 'uint16', [DT.INT16]: 'int16', [DT.UINT4]: 'uint4',
  [DT.INT4]: 'int4', [DT.UINT2]: 'uint2', [DT.INT2]: 'int2', [DT.FLOAT8E4M3FN]: 'float8e4m3fn',
  [DT.FLOAT8E4M3FNUZ]: 'float8e4m3fnuz', [DT.FLOAT8E5M2]: 'float8e5m2', [DT.FLOAT8E5M2FNUZ]: 'float8e5m2fnuz',
  [DT.FLOAT4E2M1]: 'float4e2m1',
};

/** Float tensor values as numbers (float16/bfloat16 bits decoded). */
function floats(t: TestTensor): number[] {
  if (t.dataType === DT.FLOAT16) return t.values.map(float16ToFloat32);
  if (t.dataType === DT.BFLOAT16) return t.values.map(bfloat16ToFloat32);
  return t.values;
}

function floatKind(dt: number): 'float32' | 'float16' | 'bfloat16' {
  return dt === DT.FLOAT16 ? 'float16' : dt === DT.BFLOAT16 ? 'bfloat16' : 'float32';
}

function sameBits(got: ArrayLike<number>, want: readonly number[]): void {
  expect(got.length).toBe(want.length);
  const g = Array.from(got, (v) => (Number.isNaN(v) ? 'NaN' : v));
  const w = want.map((v) => (Number.isNaN(v) ? 'NaN' : v));
  expect(g).toEqual(w);
}

function runQuantize(c: OnnxCase): void {
  const [x, scale, zp] = c.inputs;
  const dtypeCode = zp?.dataType ?? c.ints.output_dtype ?? DT.UINT8;
  const dtype = QDTYPE[dtypeCode];
  expect(dtype, `dtype code ${dtypeCode}`).toBeDefined();
  const precision: DivisionPrecision = floatKind(c.ints.precision ?? scale.dataType);
  const got = quantize(floats(x), x.dims, {
    dtype, scale: floats(scale), zeroPoint: zp?.values, paramDims: scale.dims,
    axis: c.ints.axis ?? 1, blockSize: c.ints.block_size ?? 0,
  }, { saturate: (c.ints.saturate ?? 1) !== 0, precision });
  expect(c.outputs[0].dataType).toBe(dtypeCode);
  sameBits(got, c.outputs[0].values);
}

function runDequantize(c: OnnxCase): void {
  const [x, scale, zp] = c.inputs;
  const dtype = QDTYPE[x.dataType];
  expect(dtype, `dtype code ${x.dataType}`).toBeDefined();
  const outCode = c.ints.output_dtype ?? scale.dataType;
  const outputDType = floatKind(outCode);
  const got = dequantize(x.values, x.dims, {
    dtype, scale: floats(scale), zeroPoint: zp?.values, paramDims: scale.dims,
    axis: c.ints.axis ?? 1, blockSize: c.ints.block_size ?? 0,
  }, { outputDType });
  expect(c.outputs[0].dataType).toBe(outCode);
  sameBits(got, c.outputs[0].values);
}

function runDynamic(c: OnnxCase): void {
  const [x] = c.inputs;
  const got = dynamicQuantize(Float32Array.from(x.values));
  const [y, scale, zp] = c.outputs;
  sameBits(got.y, y.values);
  expect(got.scale).toBe(scale.values[0]);
  expect(got.zeroPoint).toBe(zp.values[0]);
}

const SUITES = [
  // [folder, prefix, op, expected count]
  ['onnx-node', 'test_quantizelinear', 'QuantizeLinear', 13],
  ['onnx-node', 'test_dequantizelinear', 'DequantizeLinear', 14],
  ['onnx-node', 'test_dynamicquantizelinear', 'DynamicQuantizeLinear', 6],
  ['onnx-node-v1.13-quant', 'test_quantizelinear', 'QuantizeLinear', 2],
  ['onnx-node-v1.13-quant', 'test_dequantizelinear', 'DequantizeLinear', 2],
  ['onnx-node-v1.13-quant', 'test_dynamicquantizelinear', 'DynamicQuantizeLinear', 6],
] as const;

const RUN = { QuantizeLinear: runQuantize, DequantizeLinear: runDequantize, DynamicQuantizeLinear: runDynamic };

for (const [folder, prefix, op, expected] of SUITES) {
  describe(`${folder}/${prefix}*`, () => {
    const dirs = listCases(testdataPath(folder), prefix);
    it(`finds at least ${expected} cases`, () => {
      expect(dirs.length).toBeGreaterThanOrEqual(expected);
    });
    for (const dir of dirs) {
      it(dir.split(/[\\/]/).pop() ?? dir, () => {
        const c = readOnnxCase(dir, [op]);
        if (!dir.endsWith('_expanded')) expect(c.opType).toBe(op);
        RUN[op](c);
      });
    }
  });
}
