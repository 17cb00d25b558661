import { describe, expect, it } from 'vitest';
import { distiller } from './distiller.js';
import { distribution } from './distribution.js';

const t = (values: number[]) => ({ dims: [values.length], data: Float32Array.from(values) });

describe('distribution', () => {
  it('mean and population std of the values', () => {
    // [1, 2, 3, 6]: Σx = 12, Σx² = 1 + 4 + 9 + 36 = 50, n = 4 -> mean 3, var 50/4 - 9 = 3.5, std √3.5.
    const s = [t([1, 2]), t([3, 6, NaN])].reduce((a, b) => distribution.observe(a, b), distribution.init({}));
    const r = distribution.computeRange(s);
    expect(r.mean).toEqual([3]);
    expect(r.std![0]).toBeCloseTo(Math.sqrt(3.5), 14);
    expect([r.min, r.max]).toEqual([[0], [6]]);
  });

  it('sums exactly, so the order of batches cannot change the mean', () => {
    // 2^24 + 1 is not a float32, but 2^24, 1 and -2^24 are: Σ = 1 exactly in every order (naive float64 is exact
    // here too; the hard case is float64 cancellation: 1e30, 1, -1e30 in float32 are exact and sum to 1).
    const big = Math.fround(1e30);
    const a = distribution.observe(distribution.init({}), t([big, 1]));
    const b = distribution.observe(distribution.init({}), t([-big]));
    // Naive left-to-right: (1e30 + 1) - 1e30 = 0 in float64. Exact: 1. Mean = 1 / 3.
    expect(distribution.computeRange(distribution.merge(a, b)).mean).toEqual([1 / 3]);
    expect(distribution.computeRange(distribution.merge(b, a)).mean).toEqual([1 / 3]);
  });

  it('per channel, empty channels report zeros', () => {
    // dims [2, 2] axis 1: channel 0 {1, 3} (mean 2, std 1), channel 1 {NaN, NaN} (no data).
    const r = distribution.computeRange(distribution.observe(distribution.init({ axis: 1 }), { dims: [2, 2], data: Float32Array.from([1, NaN, 3, NaN]) }));
    expect(r).toEqual({ axis: 1, min: [0, 0], max: [3, 0], mean: [2, 0], std: [1, 0] });
  });
});

describe('distiller', () => {
  it('avg: mean of per-batch extrema', () => {
    // Batches [0, 2] and [-2, 4]: minima 0, -2 -> -1; maxima 2, 4 -> 3.
    const s = [t([0, 1, 2]), t([-2, 4])].reduce((a, b) => distiller.observe(a, b), distiller.init({ mode: 'avg' }));
    expect(distiller.computeRange(s)).toEqual({ axis: null, min: [-1], max: [3] });
  });

  it('n-std: mean ± n std clamped to the extrema', () => {
    // [1, 2, 3, 6]: mean 3, std √3.5 ≈ 1.8708. n = 1: [3 - 1.8708, 3 + 1.8708] = [1.1292, 4.8708], inside [1, 6];
    // zero-widened -> [0, 4.8708]. n = 3: [3 - 5.61, 3 + 5.61] clamped to [1, 6] -> with zero [0, 6].
    const feed = (spec: object) => distiller.computeRange(distiller.observe(distiller.init(spec), t([1, 2, 3, 6])));
    const r1 = feed({ mode: 'n-std', nStd: 1, includeZero: false });
    expect(r1.min[0]).toBeCloseTo(3 - Math.sqrt(3.5), 14);
    expect(r1.max[0]).toBeCloseTo(3 + Math.sqrt(3.5), 14);
    expect(feed({ mode: 'n-std', nStd: 1 }).min).toEqual([0]);
    expect(feed({ mode: 'n-std' })).toEqual({ axis: null, min: [0], max: [6] });
  });

  it('n-std of a constant tensor stays ordered (the rounded mean is clamped to the extrema)', () => {
    const v = Math.fround(0.1);
    const r = distiller.computeRange(distiller.observe(distiller.init({ mode: 'n-std', includeZero: false }), t([v, v, v])));
    expect(r).toEqual({ axis: null, min: [v], max: [v] });
  });
});
