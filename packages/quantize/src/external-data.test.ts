/** Models whose weights live in external data files: read lazily through onnx-ir, written back external on request. */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { readMnist, testdataPath } from '@lowbit/testing';
import { decodeModel, loadModel, saveModel } from '@lowbit/onnx-ir';
import { quantizeStatic } from './quantize-static.js';
import { quantizeWeightOnly } from './quantize-weight-only.js';
import { calibrationFeeds } from './test-support/mnist.js';

describe('external data', () => {
  it('quantizes a model with external weights and writes its output with external data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lowbit-ext-'));
    const src = join(dir, 'mnist-ext.onnx');
    await saveModel(await loadModel(testdataPath('models', 'mnist-8.onnx')), src, { externalDataThreshold: 1024 });
    expect(decodeModel(readFileSync(src)).graph.initializers.some((t) => t.kind === 'external')).toBe(true);
    const out = join(dir, 'q.onnx');
    await quantizeStatic(src, out, calibrationFeeds(5), { perChannel: true, save: { externalDataThreshold: 1024, externalDataFile: 'q.weights' } });
    expect(existsSync(join(dir, 'q.weights'))).toBe(true);
    const inlineOut = join(dir, 'inline.onnx');
    await quantizeStatic(testdataPath('models', 'mnist-8.onnx'), inlineOut, calibrationFeeds(5), { perChannel: true });
    const x = new ort.Tensor('float32', readMnist('test', 1).pixels, [1, 1, 28, 28]);
    const a = await ort.InferenceSession.create(out, { executionProviders: ['cpu'] });
    const b = await ort.InferenceSession.create(inlineOut, { executionProviders: ['cpu'] });
    const ra = (await a.run({ Input3: x }))[a.outputNames[0]].data as Float32Array;
    const rb = (await b.run({ Input3: x }))[b.outputNames[0]].data as Float32Array;
    expect(Array.from(ra)).toEqual(Array.from(rb)); // same quantized model, only the storage differs
    const wo = join(dir, 'wo.onnx');
    await quantizeWeightOnly(src, wo, { weightType: 'int4' });
    await ort.InferenceSession.create(wo, { executionProviders: ['cpu'] });
  });
});
