/** Optional targets: values a run may not produce (If branches not taken) leave their state empty instead of failing. */
import { describe, expect, it } from 'vitest';
import { minMax } from '../methods/min-max.js';
import { percentile } from '../methods/percentile.js';
import { createModel, makeFeeds } from '../test-support/mlp-model.mjs';
import { calibrate } from './calibrate.js';
import { CalibrationSession } from './calibration-session.js';

const feeds = makeFeeds(4);

describe('optional calibration targets', () => {
  it('a never-produced optional target keeps the identity state; the others are calibrated', async () => {
    const s = new CalibrationSession(createModel(), [
      { tensor: 'h', calibrator: minMax, spec: {} },
      { tensor: 'branch_value', calibrator: minMax, spec: {}, optional: true },
    ]);
    expect(await s.run(feeds)).toBe(4);
    const states = [...s.states().values()] as { channels: number }[];
    expect(states[0].channels).toBe(1);
    expect(states[1].channels).toBe(0);
  });

  it('the same target without `optional` still fails, naming it', async () => {
    const s = new CalibrationSession(createModel(), [{ tensor: 'branch_value', calibrator: minMax, spec: {} }]);
    await expect(s.run(feeds)).rejects.toThrow(/"branch_value" was not produced/);
  });

  it('calibrate: an unseen optional prepass target is left out of the result', async () => {
    const r = await calibrate({
      model: createModel(), data: () => feeds,
      targets: [
        { tensor: 'h', calibrator: percentile, spec: { percentile: 99 }, prepass: true },
        { tensor: 'branch_value', calibrator: percentile, spec: { percentile: 99 }, prepass: true, optional: true },
      ],
    });
    expect([...r.states.keys()]).toEqual(['h']);
  });
});
