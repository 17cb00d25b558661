/**
 * One pass collects every statistic: the method's state and the `#observed` min-max state come from the same run of
 * the model over each batch; only the histogram methods (percentile, entropy, mse) read the data once more before
 * that, for their bin edges. Counted with a stand-in model whose value hook reports a fixed tensor per feed.
 */
import { describe, expect, it } from 'vitest';
import type { Feeds, ObservableModel } from '@lowbit/calibrators';
import { OBSERVED_SUFFIX, calibrateStates } from './calibration.js';
import type { CalibrationMethod } from './types.js';

const BATCHES = 6;
const feeds: Feeds[] = Array.from({ length: BATCHES }, (_, b) => ({
  x: { dtype: 'float32', dims: [8], data: Float32Array.from({ length: 8 }, (_, i) => Math.sin(b * 8 + i) * (b + 1) + 0.5) },
}));

/** y = 2x - 1, reported through the value hook; counts model runs. */
function countingModel(): { model: ObservableModel; runs: () => number } {
  let runs = 0;
  const model: ObservableModel = {
    inputNames: ['x'],
    run(f, observer) {
      runs++;
      const x = f.x.data as Float32Array;
      if (observer.observe.includes('y')) observer.onValue('y', { dtype: 'float32', dims: [8], data: x.map((v) => 2 * v - 1) });
    },
  };
  return { model, runs: () => runs };
}

const passes: [CalibrationMethod, number][] = [['minmax', 1], ['meanstd', 1], ['distribution', 1], ['percentile', 2], ['entropy', 2], ['mse', 2]];

describe('calibrateStates reads the data once per statistic pass, not once per statistic', () => {
  const reference = (async () => {
    const { model } = countingModel();
    return (await calibrateStates(model, () => feeds, ['y'], 'minmax', undefined)).states.get('y')!;
  })();
  for (const [method, expected] of passes) {
    it(`${method}: ${expected} pass(es) over ${BATCHES} batches; the #observed state is the min-max state`, async () => {
      const { model, runs } = countingModel();
      const r = await calibrateStates(model, () => feeds, ['y'], method, { bins: 256 });
      expect(runs()).toBe(expected * BATCHES);
      expect(r.batches).toBe(BATCHES);
      if (method === 'minmax') {
        expect([...r.states.keys()]).toEqual(['y']);
      } else {
        expect([...r.states.keys()]).toEqual(['y', `y${OBSERVED_SUFFIX}`]);
        expect(r.states.get(`y${OBSERVED_SUFFIX}`)).toEqual(await reference);
      }
    });
  }
});
