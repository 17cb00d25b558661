import { describe, expect, it } from 'vitest';
import { roundHalfEven } from './round.js';

describe('roundHalfEven', () => {
  it('rounds ties to the even neighbour (hand-checked against IEEE roundTiesToEven)', () => {
    // `+ 0` folds -0 into 0: the sign of a zero result is unspecified.
    expect([0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, 127.5, 128.5, -127.5].map((v) => roundHalfEven(v) + 0))
      .toEqual([0, 2, 2, 4, 0, -2, -2, 128, 128, -128]);
  });
  it('rounds non-ties to the nearest integer', () => {
    expect([0.49999997, 0.50000006, 2.4, 2.6, -2.4, -2.6, 1e300].map(roundHalfEven)).toEqual([0, 1, 2, 3, -2, -3, 1e300]);
  });
  it('keeps NaN and infinities', () => {
    expect(roundHalfEven(NaN)).toBeNaN();
    expect(roundHalfEven(Infinity)).toBe(Infinity);
    expect(roundHalfEven(-Infinity)).toBe(-Infinity);
  });
});
