import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CalibrationError } from '../core/errors.js';
import { distiller } from '../methods/distiller.js';
import { distribution } from '../methods/distribution.js';
import { entropy } from '../methods/entropy.js';
import { minMax } from '../methods/min-max.js';
import { movingAverageMinMax } from '../methods/moving-average.js';
import { mse } from '../methods/mse.js';
import { percentile } from '../methods/percentile.js';
import { createModel, makeFeeds } from '../test-support/mlp-model.mjs';
import { calibrate, type CalibrationPlanTarget } from './calibrate.js';

/**
 * Sharded calibration over 4 real worker threads (each loads test-support/mlp-model.mjs and builds its own model)
 * must give exactly the states and ranges of the single-thread run. The worker entry is the built
 * dist/session/shard-worker.js (`npm test` builds first; alone: `npx tsc -b packages/calibrators`).
 * mnist-sharded.test.ts does the same with mnist-8 run by @lowbit/runtime.
 */
const workerModule = fileURLToPath(new URL('../test-support/mlp-model.mjs', import.meta.url));
const feeds = makeFeeds(41, 3);

const targets: CalibrationPlanTarget[] = [
  { tensor: 'x', calibrator: minMax, spec: { axis: 1 } },
  { tensor: 'h', calibrator: movingAverageMinMax, spec: { constant: 0.2 } },
  { tensor: 'y', calibrator: percentile, spec: { bins: 256, percentile: 99.9, symmetric: true }, prepass: true },
  // Several methods on one tensor, in the same pass, through distinct keys.
  { tensor: 'h', key: 'h/entropy', calibrator: entropy, spec: { bins: 512 }, prepass: true },
  { tensor: 'x', key: 'x/distribution', calibrator: distribution, spec: {} },
  { tensor: 'y', key: 'y/distiller', calibrator: distiller, spec: { mode: 'avg', axis: 1 } },
  { tensor: 'y', key: 'y/mse', calibrator: mse, spec: { bins: 128, steps: 32, dtype: 'uint8' }, prepass: true },
];
const keyOf = (t: CalibrationPlanTarget) => t.key ?? t.tensor;

describe('sharded calibration', () => {
  it('4 workers give exactly the single-thread states and ranges, for every method', async () => {
    const single = await calibrate({ model: createModel(), data: () => feeds, targets });
    const sharded = await calibrate({ data: () => feeds, targets, shard: { workers: 4, workerModule, chunkSize: 3 } });
    expect(sharded.batches).toBe(41);
    expect([...sharded.ranges.keys()]).toEqual(targets.map(keyOf));
    for (const t of targets) {
      expect(sharded.states.get(keyOf(t))).toEqual(single.states.get(keyOf(t)));
      expect(sharded.ranges.get(keyOf(t))).toEqual(single.ranges.get(keyOf(t)));
    }
    // Sanity: the moving average really is order-dependent on this data, so in-order merging was needed.
    const reversed = await calibrate({ model: createModel(), data: () => [...feeds].reverse(), targets: [targets[1]] });
    expect(reversed.ranges.get('h')).not.toEqual(single.ranges.get('h'));
  });

  it('bad feeds are refused on the main thread with the batch and input named', async () => {
    const bad = [...feeds.slice(0, 5), { x: { dtype: 'float32', dims: [3, 15], data: new Float32Array(45) } }];
    const err = await calibrate({ data: bad, targets: [targets[0]], shard: { workers: 2, workerModule } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CalibrationError);
    expect((err as CalibrationError).context).toMatchObject({ input: 'x', batch: 5 });
  });

  it('errors inside a worker come back as CalibrationError with their context', async () => {
    const err = await calibrate({ data: feeds, targets: [{ tensor: 'nope', calibrator: minMax, spec: {} }], shard: { workers: 2, workerModule } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CalibrationError);
    expect((err as CalibrationError).context).toMatchObject({ tensor: 'nope', batch: 0 });
    // A model failure (not a CalibrationError) is wrapped, keeping the worker's message.
    const odd = [...feeds.slice(0, 4), ...makeFeeds(1, 2)];
    const crash = await calibrate({ data: odd, targets: [targets[0]], shard: { workers: 2, workerModule, workerOptions: { failOn: 2 } } }).catch((e: unknown) => e);
    expect(crash).toBeInstanceOf(CalibrationError);
    expect((crash as Error).message).toMatch(/refusing a batch of 2 rows/);
  });

  it('custom kinds exported from the worker module work, unknown kinds are refused before any work', async () => {
    const { valueCount } = await import('../test-support/count-worker.mjs');
    const countWorker = fileURLToPath(new URL('../test-support/count-worker.mjs', import.meta.url));
    // 41 batches x 3 rows x 8 hidden units = 984 values of h.
    const r = await calibrate({ data: feeds, targets: [{ tensor: 'h', calibrator: valueCount }], shard: { workers: 3, workerModule: countWorker } });
    expect(r.ranges.get('h')).toEqual({ axis: null, min: [0], max: [984] });
    await expect(calibrate({ data: feeds, targets: [{ tensor: 'h', calibrator: valueCount }], shard: { workers: 1, workerModule } })).rejects.toThrow(
      /workers have no calibrator of kind "value-count"/,
    );
  });

  it('a worker module without createModel is reported', async () => {
    const notAModule = fileURLToPath(new URL('../test-support/arbitraries.ts', import.meta.url));
    await expect(calibrate({ data: feeds, targets: [targets[0]], shard: { workers: 1, workerModule: notAModule } })).rejects.toThrow(CalibrationError);
  });
});
