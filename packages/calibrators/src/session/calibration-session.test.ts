import { describe, expect, it } from 'vitest';
import { CalibrationError } from '../core/errors.js';
import { minMax } from '../methods/min-max.js';
import { movingAverageMinMax } from '../methods/moving-average.js';
import { percentile } from '../methods/percentile.js';
import { createModel, forward, makeFeeds } from '../test-support/mlp-model.mjs';
import { calibrate } from './calibrate.js';
import { CalibrationSession } from './calibration-session.js';
import type { CalibrationDataReader, Feeds } from './model.js';

const feeds = makeFeeds(12);

/** Independent expectation: run the plain forward pass and take extrema by hand. */
function extremaOf(name: 'x' | 'h' | 'y'): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const f of feeds) {
    const x = f.x.data as Float32Array;
    const rows = f.x.dims[0];
    const v = name === 'x' ? x : forward(x, rows)[name];
    for (const e of v) {
      lo = Math.min(lo, e);
      hi = Math.max(hi, e);
    }
  }
  return [lo, hi];
}

async function* asyncFeeds(list: readonly Feeds[]): AsyncGenerator<Feeds> {
  for (const f of list) yield f;
}

describe('CalibrationSession', () => {
  it('observes inputs and activations through the value hook and keeps only statistics', async () => {
    const model = createModel();
    const spec = { includeZero: false };
    const s = new CalibrationSession(model, ['x', 'h', 'y'].map((tensor) => ({ tensor, calibrator: minMax, spec })));
    expect(await s.run(asyncFeeds(feeds))).toBe(12);
    // The model scribbles NaN over h and y after each hook call; correct ranges prove the hook reduced them at once.
    for (const name of ['x', 'h', 'y'] as const) {
      const [lo, hi] = extremaOf(name);
      expect(s.ranges().get(name)).toEqual({ axis: null, min: [lo], max: [hi] });
    }
  });

  it('reads an onnxruntime-style CalibrationDataReader, per channel', async () => {
    let i = 0;
    const reader: CalibrationDataReader = { getNext: () => feeds[i++] ?? null, rewind: () => void (i = 0) };
    const s = new CalibrationSession(createModel(), [{ tensor: 'y', calibrator: minMax, spec: { axis: 1, includeZero: false } }]);
    await s.run(reader);
    const lo = [Infinity, Infinity, Infinity, Infinity];
    const hi = [-Infinity, -Infinity, -Infinity, -Infinity];
    for (const f of feeds) {
      const { y } = forward(f.x.data as Float32Array, f.x.dims[0]);
      y.forEach((v, k) => {
        lo[k % 4] = Math.min(lo[k % 4], v);
        hi[k % 4] = Math.max(hi[k % 4], v);
      });
    }
    expect(s.ranges().get('y')).toEqual({ axis: 1, min: lo, max: hi });
  });

  it('resumes from encoded states exactly (order-dependent moving average included)', async () => {
    const targets = [{ tensor: 'h', calibrator: movingAverageMinMax, spec: { constant: 0.3 } }];
    const whole = new CalibrationSession(createModel(), targets);
    await whole.run(feeds);
    const first = new CalibrationSession(createModel(), targets);
    await first.run(feeds.slice(0, 5));
    const second = new CalibrationSession(createModel(), targets, { resumeFrom: first.encodeStates() });
    await second.run(feeds.slice(5));
    expect(second.encodeStates()).toEqual(whole.encodeStates());
    // A saved state with another spec is refused.
    expect(() => new CalibrationSession(createModel(), [{ ...targets[0], spec: { constant: 0.5 } }], { resumeFrom: first.encodeStates() })).toThrow(/different specs/);
  });

  it('mergeFrom combines sessions that saw different parts of the data (other machines)', async () => {
    const targets = [
      { tensor: 'h', calibrator: movingAverageMinMax, spec: { constant: 0.3 } },
      { tensor: 'y', calibrator: minMax, spec: { axis: 1 } },
    ];
    const whole = new CalibrationSession(createModel(), targets);
    await whole.run(feeds);
    const [a, b] = [new CalibrationSession(createModel(), targets), new CalibrationSession(createModel(), targets)];
    await a.run(feeds.slice(0, 7));
    await b.run(feeds.slice(7));
    a.mergeFrom(b.encodeStates());
    expect(a.encodeStates()).toEqual(whole.encodeStates());
    expect(() => a.mergeFrom(new Map([['nope', new Uint8Array(0)]]))).toThrow(/no target named "nope"/);
  });

  it('calibrate() runs the two-pass protocol: min-max first, then the histogram with those edges', async () => {
    let i = 0;
    const reader: CalibrationDataReader = { getNext: () => feeds[i++], rewind: () => void (i = 0) };
    const r = await calibrate({ model: createModel(), data: reader, targets: [{ tensor: 'h', calibrator: percentile, spec: { bins: 64, percentile: 99 }, prepass: true }] });
    // By hand: the same two passes with explicit calls.
    const pre = new CalibrationSession(createModel(), [{ tensor: 'h', calibrator: minMax, spec: { includeZero: false } }]);
    await pre.run(feeds);
    const range = pre.ranges().get('h')!;
    const hist = new CalibrationSession(createModel(), [{ tensor: 'h', calibrator: percentile, spec: { bins: 64, percentile: 99, range: { min: range.min, max: range.max } } }]);
    await hist.run(feeds);
    expect(r.ranges.get('h')).toEqual(hist.ranges().get('h'));
    expect(r.states.get('h')).toEqual(hist.encodeStates().get('h'));
    expect(r.batches).toBe(12);
  });

  it('refuses a second pass over a one-shot iterator', async () => {
    await expect(
      calibrate({ model: createModel(), data: asyncFeeds(feeds), targets: [{ tensor: 'h', calibrator: percentile, spec: {}, prepass: true }] }),
    ).rejects.toThrow(/one-shot iterator/);
  });
});

describe('bad input gives CalibrationError naming the input', () => {
  const good = feeds[0].x;
  const cases: [string, Feeds, RegExp][] = [
    ['unknown name', { x: good, z: good }, /feed "z" is not a model input/],
    ['missing input', {}, /input "x" has no feed/],
    ['wrong dtype', { x: { dtype: 'int32', dims: [3, 16], data: new Int32Array(48) } }, /input "x": wrong dtype: expected float32, got int32/],
    ['wrong shape', { x: { dtype: 'float32', dims: [3, 15], data: new Float32Array(45) } }, /input "x": wrong shape at dim 1: expected \[N, 16\], got \[3, 15\]/],
    ['wrong rank', { x: { dtype: 'float32', dims: [48], data: new Float32Array(48) } }, /input "x": wrong rank/],
    ['empty data', { x: { dtype: 'float32', dims: [0, 16], data: new Float32Array(0) } }, /input "x": empty data/],
    ['length mismatch', { x: { dtype: 'float32', dims: [3, 16], data: new Float32Array(47) } }, /input "x": data length does not match dims/],
    ['wrong storage', { x: { dtype: 'float32', dims: [3, 16], data: new Float64Array(48) } }, /input "x": wrong storage for float32: expected Float32Array, got Float64Array/],
  ];
  it.each(cases)('%s', async (_name, bad, message) => {
    const s = new CalibrationSession(createModel(), [{ tensor: 'h', calibrator: minMax, spec: {} }]);
    const err = await s.run([feeds[1], bad]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CalibrationError);
    expect((err as CalibrationError).message).toMatch(message);
    expect((err as CalibrationError).context.batch).toBe(1);
    expect((err as CalibrationError).code).toBe('CALIBRATION');
  });

  it('a target the model never produces, and a non-float target, name the tensor', async () => {
    const missing = new CalibrationSession(createModel(), [{ tensor: 'conv9', calibrator: minMax, spec: {} }]);
    await expect(missing.run(feeds)).rejects.toThrow(/tensor "conv9" was not produced/);
    const ints = new CalibrationSession(createModel(), [{ tensor: 'argmax', calibrator: minMax, spec: {} }]);
    await expect(ints.run(feeds)).rejects.toMatchObject({ context: { tensor: 'argmax', expected: 'float32', actual: 'int32' } });
  });
});

describe('several methods on one tensor', () => {
  it('distinct keys observe the same tensor in one pass, each as if alone', async () => {
    const both = await calibrate({
      model: createModel(),
      data: feeds,
      targets: [
        { tensor: 'h', key: 'h#minmax', calibrator: minMax, spec: {} },
        { tensor: 'h', key: 'h#percentile', calibrator: percentile, spec: { bins: 32 }, prepass: true },
      ],
    });
    const alone = await calibrate({ model: createModel(), data: feeds, targets: [{ tensor: 'h', calibrator: percentile, spec: { bins: 32 }, prepass: true }] });
    const mm = await calibrate({ model: createModel(), data: feeds, targets: [{ tensor: 'h', calibrator: minMax, spec: {} }] });
    expect(both.ranges.get('h#percentile')).toEqual(alone.ranges.get('h'));
    expect(both.ranges.get('h#minmax')).toEqual(mm.ranges.get('h'));
    expect(() => new CalibrationSession(createModel(), [{ tensor: 'h', calibrator: minMax, spec: {} }, { tensor: 'h', calibrator: minMax, spec: {} }])).toThrow(/two targets are named "h"/);
  });
});
