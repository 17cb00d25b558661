import { describe, expect, it } from 'vitest';
import { CalibrationError } from '../core/errors.js';
import { percentile } from './percentile.js';

const t = (values: number[]) => ({ dims: [values.length], data: Float32Array.from(values) });

describe('percentile', () => {
  it('symmetric: |x| histogram, first bin reaching p% of the count, its right edge', () => {
    // range [-4, 4] -> amax 4, 4 bins of width 1 over [0, 4]. |x|: 0.5 x5, 1.5 x3, 2.5, 3.5 -> counts [5, 3, 1, 1], N = 10.
    // p = 80: q N = 8; cumulative [5, 8, 9, 10]; first >= 8 is bin 1; t = edge(2) = 2 -> [-2, 2].
    const spec = { symmetric: true, bins: 4, percentile: 80, range: { min: [-4], max: [4] } };
    const s = percentile.observe(percentile.init(spec), t([0.5, -0.5, 0.5, -0.5, 0.5, 1.5, -1.5, 1.5, 2.5, -3.5]));
    expect(percentile.computeRange(s)).toEqual({ axis: null, min: [-2], max: [2] });
  });

  it('asymmetric: cuts (100 - p) / 2 % on each side', () => {
    // range [-4, 4], 8 bins of width 1, bin k = [-4 + k, -3 + k).
    // values -3.5 (bin 0), -2.5 (1), -0.5 (3), 0.5 x4 (4), 1.5 (5), 2.5 (6), 3.5 (7): counts [1,1,0,1,4,1,1,1], N = 10.
    // p = 60: cut = 0.2 -> 2 values; cumulative [1,2,2,3,7,8,9,10]: first >= 2 is bin 1 -> lower edge(1) = -3;
    // first >= 8 is bin 5 -> upper edge(6) = 2. Range [-3, 2].
    const spec = { bins: 8, percentile: 60, range: { min: [-4], max: [4] } };
    const s = percentile.observe(percentile.init(spec), t([-3.5, -2.5, -0.5, 0.5, 0.5, 0.5, 0.5, 1.5, 2.5, 3.5]));
    expect(percentile.computeRange(s)).toEqual({ axis: null, min: [-3], max: [2] });
  });

  it('defaults to 2048 bins and 99.999 %', () => {
    const s = percentile.init({ range: { min: [0], max: [1] } });
    expect(s.spec.bins).toBe(2048);
    expect(s.spec.percentile).toBe(99.999);
    expect(s.counts.length).toBe(2048);
  });

  it('needs the first-pass range, and a matching channel count', () => {
    expect(() => percentile.init({} as never)).toThrow(/spec.range/);
    const s = percentile.init({ axis: 0, range: { min: [0, 0], max: [1, 1] } });
    expect(() => percentile.observe(s, t([1, 2, 3]))).toThrow(CalibrationError);
  });
});
