/**
 * "No configuration may produce an invalid model": random option combinations on mnist-8 either raise a typed
 * error (a LowbitError with a stable code) or write a model that passes verifyModel, loads in onnxruntime-node and runs to finite outputs.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { readMnist, testdataPath } from '@lowbit/testing';
import { LowbitError, decodeModel, verifyErrors } from '@lowbit/onnx-ir';
import { quantizeDynamic } from './quantize-dynamic.js';
import { quantizeStatic } from './quantize-static.js';
import { quantizeWeightOnly } from './quantize-weight-only.js';
import { calibrationFeeds } from './test-support/mnist.js';

const MNIST = testdataPath('models', 'mnist-8.onnx');
const dir = mkdtempSync(join(tmpdir(), 'lowbit-prop-'));
const data = calibrationFeeds(4);
const image = readMnist('test', 1).pixels;
const NODES = ['Convolution28', 'Convolution110', 'Times212', 'Pooling66', 'Times212_reshape0'];
const qtype = fc.constantFrom('uint8', 'int8', 'uint16', 'int16', 'uint4', 'int4') as fc.Arbitrary<'uint8'>;

async function valid(path: string): Promise<void> {
  const bytes = readFileSync(path);
  expect(verifyErrors(decodeModel(bytes))).toEqual([]);
  const s = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
  const r = await s.run({ Input3: new ort.Tensor('float32', image, [1, 1, 28, 28]) });
  expect(Array.from(r[s.outputNames[0]].data as Float32Array).every(Number.isFinite)).toBe(true);
  await s.release();
}

async function validOrTyped(run: () => Promise<unknown>, path: string): Promise<void> {
  try {
    await run();
  } catch (e) {
    expect(e).toBeInstanceOf(LowbitError); // QuantizeError for options, RewriteError/PassError from a pass
    expect((e as LowbitError).code).toMatch(/^[A-Z_]+$/);
    return;
  }
  await valid(path);
}

describe('any option combination gives a valid model or a typed error', () => {
  it('static', async () => {
    let k = 0;
    await fc.assert(fc.asyncProperty(
      fc.record({
        quantFormat: fc.constantFrom('QDQ', 'QOperator'), perChannel: fc.boolean(), activationType: qtype, weightType: qtype,
        activationSymmetric: fc.boolean(), weightSymmetric: fc.boolean(), reduceRange: fc.boolean(),
        quantizeOutputs: fc.constantFrom('all', 'consumed'), nodesToExclude: fc.subarray(NODES),
        calibrationMethod: fc.constantFrom('minmax', 'percentile', 'distribution', 'meanstd'),
      }, { requiredKeys: ['quantFormat'] }),
      async (o) => {
        const path = join(dir, `s${k++}.onnx`);
        await validOrTyped(() => quantizeStatic(MNIST, path, data, o as never), path);
      },
    ), { numRuns: 40 });
  });

  it('dynamic and weight-only', async () => {
    let k = 0;
    await fc.assert(fc.asyncProperty(
      fc.record({ perChannel: fc.boolean(), weightType: qtype, reduceRange: fc.boolean(), conv: fc.constantFrom('conv-integer', 'float'), nodesToExclude: fc.subarray(NODES) }, { requiredKeys: [] }),
      fc.record({ weightType: qtype, blockSize: fc.constantFrom(16, 32, 64, 128, 256), format: fc.constantFrom('qdq', 'matmulnbits') }, { requiredKeys: [] }),
      async (dy, wo) => {
        const p1 = join(dir, `d${k}.onnx`);
        await validOrTyped(() => quantizeDynamic(MNIST, p1, dy as never), p1);
        const p2 = join(dir, `w${k++}.onnx`);
        await validOrTyped(() => quantizeWeightOnly(MNIST, p2, wo as never), p2);
      },
    ), { numRuns: 20 });
  });
});
