import { describe, expect, it } from 'vitest';
import { ErrorAccumulator, Top1Accumulator, argmax, errorMetrics, formatDb, sqnrJson, top1Agreement } from './metrics.js';

describe('errorMetrics: hand-computed examples', () => {
  it('r = [3, 4], q = [3, 3]', () => {
    // sum(r^2) = 9 + 16 = 25; r - q = [0, 1], sum((r-q)^2) = 1 -> SQNR = 10*log10(25) = 13.9794 dB.
    // sum(r*q) = 9 + 12 = 21; |r| = 5; |q| = sqrt(18) = 4.24264 -> cosine = 21 / 21.2132 = 0.989949.
    const m = errorMetrics([3, 4], [3, 3]);
    expect(m.sqnrDb).toBeCloseTo(13.9794, 4);
    expect(m.cosine).toBeCloseTo(0.989949, 6);
    expect(m.maxAbsError).toBe(1);
    expect(m.elements).toBe(2);
    expect(m.nonFinite).toBe(0);
  });

  it('an error 1/10 of the signal amplitude is 20 dB', () => {
    // r = [10, -10, 10, -10], q = r + [1, -1, 1, -1]: sum(r^2) = 400, sum(e^2) = 4 -> 10*log10(100) = 20 dB.
    // q = 1.1 * r, so the cosine is exactly 1; max |e| = 1.
    const m = errorMetrics([10, -10, 10, -10], [11, -11, 11, -11]);
    expect(m.sqnrDb).toBeCloseTo(20, 12);
    expect(m.cosine).toBeCloseTo(1, 12);
    expect(m.maxAbsError).toBe(1);
  });

  it('opposite signals: SQNR = 10*log10(1/4) and cosine -1', () => {
    // q = -r: e = 2r, sum(e^2) = 4 sum(r^2) -> 10*log10(0.25) = -6.0206 dB; cosine = -1.
    const m = errorMetrics([1, 2, -3], [-1, -2, 3]);
    expect(m.sqnrDb).toBeCloseTo(-6.0206, 4);
    expect(m.cosine).toBe(-1);
    expect(m.maxAbsError).toBe(6);
  });

  it('identical signals: SQNR +Infinity, "inf" in text, null + "identical" in JSON', () => {
    const m = errorMetrics([1, -2, 0.5], [1, -2, 0.5]);
    expect(m.sqnrDb).toBe(Number.POSITIVE_INFINITY);
    expect(m.cosine).toBe(1);
    expect(m.maxAbsError).toBe(0);
    expect(formatDb(m.sqnrDb)).toBe('inf');
    expect(sqnrJson(m.sqnrDb)).toEqual({ sqnrDb: null, sqnrNote: 'identical' });
  });

  it('all-zero reference and test: identical (+Infinity), cosine 1', () => {
    const m = errorMetrics([0, 0], [0, 0]);
    expect(m.sqnrDb).toBe(Number.POSITIVE_INFINITY);
    expect(m.cosine).toBe(1);
  });

  it('all-zero reference with noise: -Infinity ("zero-signal"), cosine 0', () => {
    const m = errorMetrics([0, 0, 0], [0, 0.5, 0]);
    expect(m.sqnrDb).toBe(Number.NEGATIVE_INFINITY);
    expect(m.cosine).toBe(0);
    expect(m.maxAbsError).toBe(0.5);
    expect(formatDb(m.sqnrDb)).toBe('-inf');
    expect(sqnrJson(m.sqnrDb)).toEqual({ sqnrDb: null, sqnrNote: 'zero-signal' });
  });

  it('no elements: NaN ("no-data"), max abs error 0', () => {
    const m = errorMetrics([], []);
    expect(m.sqnrDb).toBeNaN();
    expect(formatDb(m.sqnrDb)).toBe('n/a');
    expect(sqnrJson(m.sqnrDb)).toEqual({ sqnrDb: null, sqnrNote: 'no-data' });
    expect(m.maxAbsError).toBe(0);
  });

  it('pairs with NaN or Infinity are left out and counted', () => {
    // Only (3, 3) and (4, 3) are finite pairs: the same numbers as the first example.
    const m = errorMetrics([3, Number.NaN, 4, 1], [3, 1, 3, Number.POSITIVE_INFINITY]);
    expect(m.elements).toBe(2);
    expect(m.nonFinite).toBe(2);
    expect(m.sqnrDb).toBeCloseTo(13.9794, 4);
  });

  it('a finite SQNR is written as a number in JSON and with two decimals in text', () => {
    expect(sqnrJson(13.5)).toEqual({ sqnrDb: 13.5 });
    expect(formatDb(13.979)).toBe('13.98');
  });

  it('accumulates in float64: tiny errors on float32-sized values are not lost', () => {
    // r = 1 (x 1000), q = 1 + 2^-30: sum(r^2) = 1000, sum(e^2) = 1000 * 2^-60 -> SQNR = 10*log10(2^60) = 180.618 dB.
    // In float32 arithmetic 1 + 2^-30 would round to 1 and the SQNR would read +Infinity.
    const r = new Float64Array(1000).fill(1);
    const q = new Float64Array(1000).fill(1 + 2 ** -30);
    expect(errorMetrics(r, q).sqnrDb).toBeCloseTo(60 * 10 * Math.log10(2), 6);
  });

  it('mismatched batch lengths are an internal error', () => {
    expect(() => new ErrorAccumulator().add([1, 2], [1])).toThrow(/lengths differ/);
  });
});

describe('top-1 agreement', () => {
  it('rows of 3 classes', () => {
    // row 0: argmax r = 1 (0.7), argmax q = 1 (0.6): agree. row 1: argmax r = 0 (0.5), argmax q = 1 (0.6): disagree.
    const t = top1Agreement([0.1, 0.7, 0.2, 0.5, 0.4, 0.1], [0.2, 0.6, 0.2, 0.3, 0.6, 0.1], 3);
    expect(t).toEqual({ rows: 2, agree: 1, rate: 0.5 });
  });

  it('argmax takes the first of equal maxima and skips NaN', () => {
    expect(argmax([1, 3, 3, 2], 0, 4)).toBe(1);
    expect(argmax([Number.NaN, 2, 5], 0, 3)).toBe(2);
    expect(argmax([9, Number.NaN, Number.NaN], 1, 2)).toBe(-1);
    expect(argmax([0, 0, 7, 1], 2, 2)).toBe(0); // window [7, 1]
  });

  it('accumulates over batches', () => {
    const acc = new Top1Accumulator();
    acc.add([1, 0], [1, 0], 2); // agree
    acc.add([0, 1, 1, 0], [1, 0, 1, 0], 2); // disagree, agree
    expect(acc.result()).toEqual({ rows: 3, agree: 2, rate: 2 / 3 });
  });

  it('no rows: rate NaN; a length that is not whole rows is an internal error', () => {
    expect(new Top1Accumulator().result().rate).toBeNaN();
    expect(() => top1Agreement([1, 2, 3], [1, 2, 3], 2)).toThrow(/not rows of 2/);
  });
});
