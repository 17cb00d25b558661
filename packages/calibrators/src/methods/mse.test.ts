import { describe, expect, it } from 'vitest';
import { CalibrationError } from '../core/errors.js';
import { mse, quantError } from './mse.js';

const t = (values: number[]) => ({ dims: [values.length], data: Float32Array.from(values) });

describe('mse', () => {
  // |x| histogram of 4 bins over [0, 4] (first pass [-4, 4]): centres 0.5, 1.5, 2.5, 3.5 with counts 10, 10, 10, 1.
  const values = [...Array(10).fill(0.5), ...Array(10).fill(-1.5), ...Array(10).fill(2.5), 3.5];
  const spec = { symmetric: true, dtype: 'int4' as const, bins: 4, steps: 4, range: { min: [-4], max: [4] } };

  it('int4 symmetric: errors of the four candidates match a numpy float32 evaluation', () => {
    // reference/mse_int4.py: scale = float32(t / 7), q = clip(rint(x / scale), -8, 7), dq = q * scale.
    // t = 1: q [3,7,7,7]  err 31.3010;  t = 2: q [2,5,7,7] err 4.85204;  t = 3: q [1,4,6,7] err 0.811224 (1.5/scale is
    // exactly 3.5 in float32 and rounds to even 4);  t = 4: q [1,3,4,6] err 0.974490.
    const s = mse.observe(mse.init(spec), t(values));
    const centers = Float32Array.from([0.5, 1.5, 2.5, 3.5]);
    const expected = [31.301020359506424, 4.8520408041623355, 0.8112245080422529, 0.9744899394564541];
    expected.forEach((e, i) => expect(quantError(s.spec, centers, s.counts, [-(i + 1), i + 1])).toBeCloseTo(e, 10));
    // The least error is t = 3: clipping the single 3.5 costs less than the coarser steps of t = 4.
    expect(mse.computeRange(s)).toEqual({ axis: null, min: [-3], max: [3] });
  });

  it('uint8 asymmetric keeps the full range when every clipped candidate cuts real mass', () => {
    // Histogram over [-1, 3], centres -0.5, 0.5, 1.5, 2.5, one value each. Candidates [-k/4, 3k/4], k = 1..4.
    // k < 4 clips 2.5 to at most 2.25: error >= 0.25^2 = 0.0625. k = 4: scale 4/255, every error <= (scale/2)^2,
    // total <= 4 (2/255)^2 ≈ 2.5e-4. So [-1, 3] wins.
    const s = mse.observe(mse.init({ bins: 4, steps: 4, dtype: 'uint8', range: { min: [-1], max: [3] } }), t([-0.5, 0.5, 1.5, 2.5]));
    expect(mse.computeRange(s)).toEqual({ axis: null, min: [-1], max: [3] });
  });

  it('rejects an asymmetric float8 search and unknown dtypes', () => {
    expect(() => mse.init({ dtype: 'float8e4m3fn', range: { min: [0], max: [1] } })).toThrow(CalibrationError);
    expect(() => mse.init({ dtype: 'int7' as never, range: { min: [0], max: [1] } })).toThrow(/not a quantized dtype/);
  });

  it('float8 e4m3fn symmetric search runs through qparams and stays within the observed range', () => {
    const s = mse.observe(mse.init({ symmetric: true, dtype: 'float8e4m3fn', bins: 64, steps: 16, range: { min: [-2], max: [2] } }), t([0.1, -0.3, 1.9, 0.7]));
    const r = mse.computeRange(s);
    expect(r.max[0]).toBeGreaterThan(0);
    expect(r.max[0]).toBeLessThanOrEqual(2);
    expect(r.min[0]).toBe(-r.max[0]);
  });
});
