import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CalibrationError } from '../src/core/errors.js';
import type { TensorLike } from '../src/core/types.js';
import { CalibrationSession } from '../src/session/calibration-session.js';
import { batchesArb } from '../src/test-support/arbitraries.js';
import { createModel, makeFeeds } from '../src/test-support/mlp-model.mjs';
import { laplaceClip } from './laplace-clip.js';

const t = (values: number[]) => ({ dims: [values.length], data: Float32Array.from(values) });

describe('docs/writing-a-calibrator.md worked example: laplace-clip', () => {
  it('the document shows this very file', () => {
    const doc = readFileSync(new URL('../../../docs/writing-a-calibrator.md', import.meta.url), 'utf8');
    const code = readFileSync(new URL('./laplace-clip.ts', import.meta.url), 'utf8');
    expect(doc).toContain(code.trim());
  });

  it('matches the hand-computed examples', () => {
    // [-1, 1, 2, -4], 4 bits: b = (1 + 1 + 2 + 4) / 4 = 2; 5.03 * 2 = 10.06 > max |x| = 4 -> [-4, 4].
    expect(laplaceClip.computeRange(laplaceClip.observe(laplaceClip.init({ bits: 4 }), t([-1, 1, 2, -4])))).toEqual({ axis: null, min: [-4], max: [4] });
    // 0.5 x9 and 20, 4 bits: b = (4.5 + 20) / 10 = 2.45; 5.03 * 2.45 = 12.3235 < 20 -> [-12.3235, 12.3235].
    const r = laplaceClip.computeRange(laplaceClip.observe(laplaceClip.init({ bits: 4 }), t([...Array(9).fill(0.5), 20])));
    expect(r.max[0]).toBeCloseTo(12.3235, 12);
    expect(r.min[0]).toBe(-r.max[0]);
    expect(() => laplaceClip.init({ bits: 9 })).toThrow(CalibrationError);
  });

  it('obeys the monoid laws and round-trips (fast-check)', () => {
    const C = 2;
    const enc = (s: Parameters<typeof laplaceClip.encode>[0]) => Array.from(laplaceClip.encode(s));
    const fold = (spec: object, bs: readonly TensorLike[]) => bs.reduce((s, b) => laplaceClip.observe(s, b), laplaceClip.init(spec));
    const spec = fc.record({ axis: fc.constantFrom(null, 1), bits: fc.integer({ min: 2, max: 8 }) });
    fc.assert(
      fc.property(spec, batchesArb(C), batchesArb(C), batchesArb(C), (sp, a, b, c) => {
        const [A, B, Cs] = [fold(sp, a), fold(sp, b), fold(sp, c)];
        expect(enc(laplaceClip.merge(laplaceClip.init(sp), A))).toEqual(enc(A));
        expect(enc(laplaceClip.merge(A, laplaceClip.init(sp)))).toEqual(enc(A));
        expect(enc(laplaceClip.merge(laplaceClip.merge(A, B), Cs))).toEqual(enc(laplaceClip.merge(A, laplaceClip.merge(B, Cs))));
        expect(enc(laplaceClip.merge(A, B))).toEqual(enc(fold(sp, [...a, ...b])));
        expect(enc(laplaceClip.decode(laplaceClip.encode(A)))).toEqual(enc(A));
        const r = laplaceClip.computeRange(A);
        for (let i = 0; i < r.min.length; i++) {
          expect(Number.isNaN(r.min[i]) || Number.isNaN(r.max[i])).toBe(false);
          expect(r.min[i] <= 0 && r.max[i] >= 0 && r.min[i] === -r.max[i]).toBe(true);
        }
      }),
      { numRuns: 80 },
    );
  });

  it('plugs into a CalibrationSession like a built-in', async () => {
    const s = new CalibrationSession(createModel(), [{ tensor: 'h', calibrator: laplaceClip, spec: { bits: 4 } }]);
    await s.run(makeFeeds(6));
    const r = s.ranges().get('h')!;
    expect(r.max[0]).toBeGreaterThan(0);
  });
});
