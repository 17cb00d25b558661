import { describe, expect, it } from 'vitest';
import { CalibrationError } from '../core/errors.js';
import { minMax } from './min-max.js';
import { movingAverageMinMax as ma } from './moving-average.js';

const t = (values: number[]) => ({ dims: [values.length], data: Float32Array.from(values) });

describe('moving-average-min-max', () => {
  it('matches the hand-computed exponential average (c = 0.5)', () => {
    // Batch extrema: [0, 4], [-4, 8], [-2, 2].
    // min: m = 0; m = 0 + 0.5 (-4 - 0) = -2; m = -2 + 0.5 (-2 - -2) = -2.
    // max: m = 4; m = 4 + 0.5 (8 - 4) = 6;   m = 6 + 0.5 (2 - 6) = 4.
    const s = [t([0, 4]), t([-4, 8, 1]), t([-2, 2])].reduce((acc, b) => ma.observe(acc, b), ma.init({ constant: 0.5 }));
    expect(ma.computeRange(s)).toEqual({ axis: null, min: [-2], max: [4] });
  });

  it('uses onnxruntime default constant 0.01', () => {
    // Extrema [0, 1] then [-1, 2]: min = 0 + 0.01 (-1 - 0) = -0.01, max = 1 + 0.01 (2 - 1) = 1.01.
    const s = [t([0, 1]), t([-1, 2])].reduce((acc, b) => ma.observe(acc, b), ma.init({}));
    const r = ma.computeRange(s);
    expect(r.min[0]).toBeCloseTo(-0.01, 15);
    expect(r.max[0]).toBeCloseTo(1.01, 15);
  });

  it('is order-dependent (unlike min-max), which is why merge means "a then b"', () => {
    const a = ma.observe(ma.init({ constant: 0.5 }), t([0, 4]));
    const b = ma.observe(ma.init({ constant: 0.5 }), t([-4, 8]));
    // a then b: min 0 -> 0 + 0.5 (-4 - 0) = -2, max 4 -> 4 + 0.5 (8 - 4) = 6.
    expect(ma.computeRange(ma.merge(a, b))).toEqual({ axis: null, min: [-2], max: [6] });
    const c = ma.observe(ma.init({ constant: 0.5 }), t([-8, 0]));
    // Three batches, two orders: a, b, c -> min 0, -2, -2 + 0.5 (-8 + 2) = -5; c, b, a -> min -8, -6, -6 + 0.5 (0 + 6) = -3.
    expect(ma.computeRange(ma.merge(ma.merge(a, b), c)).min).toEqual([-5]);
    expect(ma.computeRange(ma.merge(ma.merge(c, b), a)).min).toEqual([-3]);
  });

  it('skips batches without finite values and rejects bad constants', () => {
    // Extrema [2, 2], (all NaN: skipped), [0, 4] with c = 0.5: min 2 -> 1, max 2 -> 3.
    const s = [t([2]), t([NaN]), t([0, 4])].reduce((acc, b) => ma.observe(acc, b), ma.init({ constant: 0.5, includeZero: false }));
    expect(ma.computeRange(s)).toEqual({ axis: null, min: [1], max: [3] });
    expect(() => ma.init({ constant: 2 })).toThrow(CalibrationError);
    expect(() => ma.decode(minMax.encode(minMax.init({})))).toThrow(/kind "min-max", expected "moving-average-min-max"/);
  });
});
