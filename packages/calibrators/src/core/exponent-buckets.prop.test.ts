import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonical, valueOf } from './exact-sum.js';
import { ExponentBuckets } from './exponent-buckets.js';

/**
 * Σx and Σx² through the exponent buckets equal the exact sums (BigInt arithmetic), including long runs of values of
 * one exponent class with full 24-bit mantissas: the case where a 33rd value in a bucket would round.
 */
describe('ExponentBuckets', () => {
  it('accumulates exactly (checked with BigInt)', () => {
    // x = m * 2^k, 2^23 <= m < 2^24 (a full float32 mantissa), k in [-20, 20]: exact float32s.
    const term = fc.record({ m: fc.integer({ min: 2 ** 23, max: 2 ** 24 - 1 }), k: fc.integer({ min: -20, max: 20 }), neg: fc.boolean() });
    const sameClass = fc.integer({ min: -20, max: 20 }).chain((k) => fc.array(term.map((t) => ({ ...t, k })), { minLength: 30, maxLength: 120 }));
    fc.assert(
      fc.property(fc.oneof(fc.array(term, { maxLength: 80 }), sameClass), (ts) => {
        const xs = Float32Array.from(ts.map(({ m, k, neg }) => (neg ? -m : m) * 2 ** k));
        const bits = new Uint32Array(xs.buffer);
        const sum: number[] = [];
        const sumSq: number[] = [];
        const b = new ExponentBuckets(sum, sumSq);
        xs.forEach((x, i) => b.add(x, bits[i]));
        b.flush();
        // Exact: Σx = Σ ±m 2^(k+20) / 2^20 and Σx² = Σ m² 2^(2k+40) / 2^40, rounded once by Number(bigint).
        const s1 = ts.reduce((a, { m, k, neg }) => a + (neg ? -1n : 1n) * BigInt(m) * 2n ** BigInt(k + 20), 0n);
        const s2 = ts.reduce((a, { m, k }) => a + BigInt(m) * BigInt(m) * 2n ** BigInt(2 * k + 40), 0n);
        expect(valueOf(canonical(sum))).toBe(Number(s1) / 2 ** 20);
        expect(valueOf(canonical(sumSq))).toBe(Number(s2) / 2 ** 40);
      }),
      { numRuns: 200 },
    );
  });
});
