/**
 * The real path: calibration through @lowbit/runtime (no injected runner) with @lowbit/calibrators, and the
 * runtime-backed constant-folding evaluator. The result must still load and score in onnxruntime-node.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMnist, testdataPath } from '@lowbit/testing';
import { quantizeStatic } from './quantize-static.js';
import { accuracy, calibrationFeeds } from './test-support/mnist.js';
import { ortRunner } from './test-support/ort-runner.js';

const MNIST = testdataPath('models', 'mnist-8.onnx');

describe('runtime-backed calibration', () => {
  it('mnist-8 static QDQ per-channel calibrated by @lowbit/runtime equals the onnxruntime-calibrated bytes (or scores alike)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lowbit-rt-'));
    const data = calibrationFeeds(20);
    await quantizeStatic(MNIST, join(dir, 'rt.onnx'), data, { perChannel: true });
    await quantizeStatic(MNIST, join(dir, 'ort.onnx'), data, { perChannel: true, runner: ortRunner });
    const n = 2000;
    const { pixels: images, labels } = readMnist('test', n);
    const a = await accuracy(readFileSync(join(dir, 'rt.onnx')), images, labels);
    const b = await accuracy(readFileSync(join(dir, 'ort.onnx')), images, labels);
    console.log('runtime-calibrated', a, 'ort-calibrated', b);
    expect(Math.abs(a - b)).toBeLessThanOrEqual(0.1);
  });
});
