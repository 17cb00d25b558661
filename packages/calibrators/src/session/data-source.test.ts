import { describe, expect, it } from 'vitest';
import { CalibrationError } from '../core/errors.js';
import { minMax } from '../methods/min-max.js';
import { createModel, makeFeeds } from '../test-support/mlp-model.mjs';
import { CalibrationSession } from './calibration-session.js';
import { readFeeds } from './data-source.js';
import type { CalibrationData, Feeds } from './model.js';

const feeds = makeFeeds(5);

async function collect(data: CalibrationData, pass = 0): Promise<Feeds[]> {
  const out: Feeds[] = [];
  for await (const f of readFeeds(data, pass)) out.push(f);
  return out;
}

describe('calibration data sources', () => {
  it('reads arrays, sync and async generators, functions and readers (sync or async getNext)', async () => {
    async function* gen() {
      yield* feeds;
    }
    let i = 0;
    const asyncReader = { getNext: async () => feeds[i++], rewind: async () => void (i = 0) };
    for (const data of [feeds, feeds.values(), gen(), () => gen(), asyncReader] as CalibrationData[]) {
      expect(await collect(data)).toEqual(feeds);
    }
    // Second pass: readers rewind, functions and arrays re-iterate.
    expect(await collect(asyncReader, 1)).toEqual(feeds);
    expect(await collect(() => gen(), 1)).toEqual(feeds);
    expect(await collect(feeds, 1)).toEqual(feeds);
  });

  it('refuses second passes it cannot make, and non-data', async () => {
    await expect(collect(feeds.values(), 1)).rejects.toThrow(/one-shot iterator/);
    await expect(collect({ getNext: () => null }, 1)).rejects.toThrow(/no rewind/);
    await expect(collect(42 as unknown as CalibrationData)).rejects.toThrow(CalibrationError);
  });

  it('stops at the first null or undefined from getNext', async () => {
    const seq = [feeds[0], undefined, feeds[1]];
    let i = 0;
    expect(await collect({ getNext: () => seq[i++] })).toEqual([feeds[0]]);
  });

  it('honours an AbortSignal between batches', async () => {
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    const s = new CalibrationSession(createModel(), [{ tensor: 'h', calibrator: minMax, spec: {} }]);
    await expect(s.run(feeds, { signal: ac.signal })).rejects.toThrow('stop');
    expect(s.batches).toBe(0);
  });
});
