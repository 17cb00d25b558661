import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addExpansions, addTo, canonical, valueOf } from './exact-sum.js';

const sumOf = (xs: readonly number[]) => {
  const p: number[] = [];
  for (const x of xs) addTo(p, x);
  return canonical(p);
};

describe('exact summation', () => {
  it('cancellation that defeats naive float64 summation', () => {
    // 1e16 + 1 - 1e16: float64 gives 0 (1e16 + 1 rounds to 1e16); the exact sum is 1.
    expect(valueOf(sumOf([1e16, 1, -1e16]))).toBe(1);
    // 2^53 + 1 + 1: exact 2^53 + 2 (representable); naive left-to-right gives 2^53.
    expect(valueOf(sumOf([2 ** 53, 1, 1]))).toBe(2 ** 53 + 2);
  });

  it('the canonical expansion does not depend on order or grouping', () => {
    const f32 = fc.float({ noNaN: true, noDefaultInfinity: true });
    fc.assert(
      fc.property(fc.array(f32, { maxLength: 30 }), fc.array(f32, { maxLength: 30 }), (a, b) => {
        const whole = sumOf([...a, ...b]);
        expect(addExpansions(sumOf(a), sumOf(b))).toEqual(whole);
        expect(sumOf([...b].reverse().concat([...a].reverse()))).toEqual(whole);
      }),
    );
  });

  it('valueOf is the correctly rounded sum (checked against BigInt arithmetic)', () => {
    // Terms k * 2^e with |k| < 2^53 and e in [-30, 30] are exact float64s and exact multiples of 2^-30, so the exact sum
    // is BigInt(Σ k 2^(e+30)) / 2^30; Number(bigint) rounds to nearest-even and dividing by 2^30 is exact.
    const term = fc.record({ k: fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }), e: fc.integer({ min: -30, max: 30 }) });
    fc.assert(
      fc.property(fc.array(term, { maxLength: 20 }), (ts) => {
        const xs = ts.map(({ k, e }) => k * 2 ** e);
        const exact = ts.reduce((acc, { k, e }) => acc + BigInt(k) * 2n ** BigInt(e + 30), 0n);
        expect(valueOf(sumOf(xs))).toBe(Number(exact) / 2 ** 30);
      }),
    );
  });
});
