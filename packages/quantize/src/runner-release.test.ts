import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testdataPath } from '@lowbit/testing';
import type { Model } from '@lowbit/onnx-ir';
import type { ObservableModel } from '@lowbit/calibrators';
import { calibrateStatic, quantizeStatic, quantizeWeightOnly } from './index.js';
import { runnerFor } from './runner.js';
import { calibrationFeeds } from './test-support/mnist.js';

// Every calibration runner quantize makes is closed when its work is done (a runtime session holds its backend's
// thread pool and packed weights until released), also when calibration fails.
const MNIST = testdataPath('models', 'mnist-8.onnx');
const tmp = mkdtempSync(join(tmpdir(), 'lowbit-runner-release-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function counting(): { factory: (m: Model) => Promise<ObservableModel>; opened: () => number; closed: () => number } {
  let opened = 0;
  let closed = 0;
  return {
    opened: () => opened,
    closed: () => closed,
    async factory(m) {
      const inner = await runnerFor(m, undefined);
      opened++;
      return { ...inner, run: (f, o) => inner.run(f, o), close: async () => { closed++; await inner.close?.(); } };
    },
  };
}

describe('calibration runners are released', () => {
  it('static quantization with bias correction closes every runner it opened', async () => {
    const c = counting();
    await quantizeStatic(MNIST, join(tmp, 's.onnx'), calibrationFeeds(2), { runner: c.factory, biasCorrection: true });
    expect(c.opened()).toBeGreaterThanOrEqual(3);
    expect(c.closed()).toBe(c.opened());
  }, 60_000);

  it('GPTQ weight-only and calibrateStatic close theirs', async () => {
    const c = counting();
    await quantizeWeightOnly(MNIST, join(tmp, 'w.onnx'), { blockSize: 32, algorithm: 'gptq', calibrationData: calibrationFeeds(2), runner: c.factory });
    await calibrateStatic(MNIST, calibrationFeeds(2), { runner: c.factory });
    expect(c.opened()).toBe(2);
    expect(c.closed()).toBe(2);
  }, 60_000);

  it('a runner is closed when calibration throws', async () => {
    const c = counting();
    const bad = [{ Input3: { dtype: 'float32', dims: [1, 1, 28, 28], data: new Float32Array(784).fill(Number.NaN) } }];
    await expect(quantizeStatic(MNIST, join(tmp, 'bad.onnx'), bad as never, { runner: c.factory })).rejects.toThrow();
    expect(c.opened()).toBe(1);
    expect(c.closed()).toBe(1);
  }, 60_000);
});
