import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { calibrate, distribution, entropy, entropyPresets, minMax, movingAverageMinMax, mse, percentile, type CalibrationPlanTarget } from '@lowbit/calibrators';
import { readMnist, testdataPath } from '@lowbit/testing';
import { createModel } from './test-support/mnist-runtime-worker.mjs';

/**
 * Issue 5, "must show": sharded calibration of mnist-8 over 4 workers gives exactly the ranges of the single-thread
 * run. The model runs in @lowbit/runtime (in each worker, and in this thread for the reference), over 48 real MNIST
 * training images. Workers use the built dist of calibrators and runtime (`npm test` builds first). It lives in
 * quantize, the package where calibrators and the runtime meet (calibrators never depend on the runtime).
 */
const modelPath = testdataPath('models', 'mnist-8.onnx');
// Each feed owns its pixels (slice): feeds are structured-cloned to the workers.
const feeds = readMnist('train', 48).images.map((x) => ({ Input3: { dtype: 'float32' as const, dims: [1, 1, 28, 28], data: x.slice() } }));

const activations = [
  'Convolution28_Output_0', 'Plus30_Output_0', 'ReLU32_Output_0', 'Pooling66_Output_0', 'Convolution110_Output_0',
  'Plus112_Output_0', 'ReLU114_Output_0', 'Pooling160_Output_0', 'Times212_Output_0', 'Plus214_Output_0',
];
const targets: CalibrationPlanTarget[] = [
  { tensor: 'Input3', calibrator: minMax, spec: {} },
  ...activations.map((tensor, i): CalibrationPlanTarget => {
    switch (i % 5) {
      case 0: return { tensor, calibrator: entropy, spec: { ...entropyPresets.tensorrt }, prepass: true };
      case 1: return { tensor, calibrator: movingAverageMinMax, spec: { axis: 1 } };
      case 2: return { tensor, calibrator: percentile, spec: { symmetric: false }, prepass: true };
      case 3: return { tensor, calibrator: mse, spec: { dtype: 'uint8', steps: 64 }, prepass: true };
      default: return { tensor, calibrator: distribution, spec: { axis: 1 } };
    }
  }),
];

describe('mnist-8 calibration with @lowbit/runtime', () => {
  it('4 workers give exactly the single-thread states and ranges', async () => {
    const single = await calibrate({ model: await createModel({ modelPath }), data: () => feeds, targets });
    const sharded = await calibrate({
      data: () => feeds,
      targets,
      shard: { workers: 4, workerModule: fileURLToPath(new URL('./test-support/mnist-runtime-worker.mjs', import.meta.url)), workerOptions: { modelPath }, chunkSize: 5 },
    });
    expect(single.batches).toBe(48);
    expect(sharded.batches).toBe(48);
    for (const t of targets) {
      expect(sharded.states.get(t.tensor)).toEqual(single.states.get(t.tensor));
      expect(sharded.ranges.get(t.tensor)).toEqual(single.ranges.get(t.tensor));
    }
    // Sanity on real values: pixels are in [0, 1]; Relu outputs are never negative, so their percentile range starts at 0.
    expect(single.ranges.get('Input3')).toEqual({ axis: null, min: [0], max: [1] });
    expect(single.ranges.get('ReLU32_Output_0')!.min[0]).toBe(0);
    expect(single.ranges.get('ReLU32_Output_0')!.max[0]).toBeGreaterThan(0);
  }, 60_000);
});
