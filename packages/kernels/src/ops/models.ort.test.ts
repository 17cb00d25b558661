/**
 * Real models through the scalar reference kernels (the kernel test driver runs the graph node by node, no runtime
 * involved) against onnxruntime-node: ultraface-rfb-320 (Conv/Concat/Transpose/Reshape/Softmax/Slice/Exp glue) and
 * ppocr-mobile-v2-cls (HardSigmoid/Clip/Shape/Cast/Slice/Concat/Reshape, opset 9 attribute forms). Inputs are a
 * deterministic sine pattern in [-0.8, 0.8]; every output must agree within rtol 1e-4 / atol 1e-5.
 */
import * as ort from 'onnxruntime-node';
import { testdataPath } from '@lowbit/testing';
import { describe, expect, it } from 'vitest';
import { createReferenceRegistry } from '../reference.js';
import { Tensor } from '../tensor.js';
import { firstMismatch } from '../test-support/expect-close.js';
import { readModelFile } from '../test-support/onnx-case.js';
import { runModel } from '../test-support/run-case.js';

const MODELS: readonly (readonly [string, readonly number[]])[] = [
  ['ultraface-rfb-320.onnx', [1, 3, 240, 320]],
  ['ppocr-mobile-v2-cls.onnx', [1, 3, 48, 192]],
];

describe('real models through the reference kernels vs onnxruntime-node', () => {
  it.each(MODELS)('%s', async (file, dims) => {
    const path = testdataPath('models', file);
    const n = dims.reduce((p, d) => p * d, 1);
    const data = new Float32Array(n).map((_, i) => Math.sin(i * 0.37) * 0.8);
    const outs = runModel(readModelFile(path), [new Tensor('float32', data, dims)], createReferenceRegistry());
    const session = await ort.InferenceSession.create(path, { executionProviders: ['cpu'] });
    const expected = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', data, [...dims]) });
    const problems = session.outputNames.flatMap((name, i) => {
      const m = firstMismatch(outs[i], { dims: expected[name].dims, data: expected[name].data as Float32Array }, { rtol: 1e-4, atol: 1e-5 });
      return m ? [`${name}: ${m}`] : [];
    });
    expect(outs.length).toBe(session.outputNames.length);
    expect(problems).toEqual([]);
  });
});
