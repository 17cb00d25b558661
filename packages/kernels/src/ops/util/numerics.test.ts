/**
 * Numeric helpers against hand-derived values. (Float8/float4 encodings are @lowbit/qparams' and tested there.)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { erf } from './erf.js';
import { roundHalfEven } from './round.js';

describe('roundHalfEven', () => {
  it('rounds ties to even and everything else to nearest', () => {
    expect([0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, 2.4999, 2.5001].map(roundHalfEven)).toEqual([0, 2, 2, 4, -0, -2, -2, 2, 3]);
    expect(Object.is(roundHalfEven(-0.4), -0)).toBe(true);
    expect(roundHalfEven(NaN)).toBeNaN();
    expect(roundHalfEven(-Infinity)).toBe(-Infinity);
  });
  it('is within 0.5 of its input and integral (property)', () => {
    fc.assert(fc.property(fc.double({ min: -1e9, max: 1e9, noNaN: true }), (x) => {
      const r = roundHalfEven(x);
      expect(Number.isInteger(r)).toBe(true);
      expect(Math.abs(r - x)).toBeLessThanOrEqual(0.5);
      if (Math.abs(r - x) === 0.5) expect(r % 2).toBe(0);
    }));
  });
});

describe('erf', () => {
  it('matches tabulated values', () => {
    // Abramowitz & Stegun table 7.1: erf(0.5) = 0.5204998778, erf(1) = 0.8427007929, erf(2) = 0.9953222650.
    expect(erf(0.5)).toBeCloseTo(0.5204998778, 9);
    expect(erf(1)).toBeCloseTo(0.8427007929, 9);
    expect(erf(-2)).toBeCloseTo(-0.995322265, 9);
    expect(erf(10)).toBe(1);
    expect(erf(NaN)).toBeNaN();
  });
});
