import { dataTypeName, tensorValuesSync } from '@lowbit/onnx-ir';
import { describe, expect, it } from 'vitest';
import { listLightCases, listNodeTestCases, readLightCase, readTestCase } from './test-case.js';
import { testdataPath } from './testdata.js';

describe('readTestCase', () => {
  it('lists all 1802 onnx-node cases', () => {
    const cases = listNodeTestCases(testdataPath('onnx-node'));
    expect(cases).toHaveLength(1802);
    expect(listNodeTestCases(testdataPath('onnx-node'), (n) => n.startsWith('test_abs'))).toEqual([testdataPath('onnx-node', 'test_abs')]);
  });

  it('reads test_abs: input x and output y, float32 [3,4,5], y = |x|', () => {
    const c = readTestCase(testdataPath('onnx-node', 'test_abs'));
    expect(c.name).toBe('test_abs');
    expect(c.supported).toBe(true);
    expect(c.sets).toHaveLength(1);
    const [x] = c.sets[0]!.inputs;
    const [y] = c.sets[0]!.outputs;
    expect([x!.name, y!.name]).toEqual(['x', 'y']);
    expect(dataTypeName(x!.dtype)).toBe('float32');
    expect(x!.dims).toEqual([3, 4, 5]);
    const xv = tensorValuesSync(x!).data as Float32Array;
    const yv = tensorValuesSync(y!).data as Float32Array;
    expect([...yv]).toEqual([...xv].map(Math.abs));
  });

  it('names inputs after graph inputs that are not initializers, in order (multi-input case)', () => {
    const c = readTestCase(testdataPath('onnx-node', 'test_dequantizelinear_axis'));
    const decl = c.model.graph.inputs.map((v) => v.name);
    expect(c.sets[0]!.inputs.map((t) => t.name)).toEqual(decl.slice(0, c.sets[0]!.inputs.length));
    expect(c.sets[0]!.inputs.length).toBeGreaterThanOrEqual(2);
  });

  it('reads every onnx-node case; only sequence/map/optional cases are marked unsupported', () => {
    let unsupported = 0;
    for (const dir of listNodeTestCases(testdataPath('onnx-node'))) {
      const c = readTestCase(dir);
      if (!c.supported) {
        expect(c.reason).toMatch(/sequence|map|optional|sparse|opaque/);
        unsupported++;
        continue;
      }
      for (const s of c.sets) expect(s.outputs.length).toBeGreaterThan(0);
    }
    expect(unsupported).toBeLessThan(150);
  });

  it('reads the onnx-light models: input is arange(n)/n in the input shape (testdata README)', () => {
    const root = testdataPath('onnx-light');
    const names = listLightCases(root);
    expect(names).toHaveLength(9);
    const c = readLightCase(root, 'light_squeezenet');
    const [x] = c.sets[0]!.inputs;
    expect(x!.name).toBe(c.model.graph.inputs.find((v) => !c.model.graph.initializers.some((t) => t.name === v.name))!.name);
    const xv = tensorValuesSync(x!).data as Float32Array;
    const n = xv.length;
    expect([xv[0], xv[1], xv[n - 1]]).toEqual([0, Math.fround(1 / n), Math.fround((n - 1) / n)]);
    expect(c.sets[0]!.outputs[0]!.name).toBe(c.model.graph.outputs[0]!.name);
  });
});
