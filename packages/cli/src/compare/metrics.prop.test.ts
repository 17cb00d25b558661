import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorAccumulator, Top1Accumulator, errorMetrics, top1Agreement } from './metrics.js';

const f32 = fc.float({ min: -1e3, max: 1e3, noNaN: true, noDefaultInfinity: true }).map(Math.fround);
/** Two equal-length float32-valued arrays and cut points splitting them into batches. */
const pairs = fc
  .integer({ min: 0, max: 64 })
  .chain((n) => fc.tuple(fc.array(f32, { minLength: n, maxLength: n }), fc.array(f32, { minLength: n, maxLength: n }), fc.array(fc.integer({ min: 0, max: n }), { maxLength: 5 })));

function batches<T>(xs: readonly T[], cuts: readonly number[]): T[][] {
  const at = [0, ...[...cuts].sort((a, b) => a - b), xs.length];
  return at.slice(1).map((end, i) => xs.slice(at[i], end));
}

const same = (a: number, b: number): boolean => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

describe('metrics laws', () => {
  it('streaming over any batching equals one-shot over the whole', () => {
    fc.assert(
      fc.property(pairs, ([r, q, cuts]) => {
        const acc = new ErrorAccumulator();
        const rb = batches(r, cuts);
        const qb = batches(q, cuts);
        rb.forEach((b, i) => acc.add(b, qb[i]));
        const s = acc.result();
        const o = errorMetrics(r, q);
        // Sums run in the same element order either way, so the float64 results are bit-identical.
        expect(same(s.sqnrDb, o.sqnrDb) && same(s.cosine, o.cosine) && s.maxAbsError === o.maxAbsError && s.elements === o.elements).toBe(true);
      }),
    );
  });

  it('agrees with the textbook formulas computed directly', () => {
    fc.assert(
      fc.property(pairs, ([r, q]) => {
        fc.pre(r.length > 0);
        const sig = r.reduce((s, x) => s + x * x, 0);
        const noise = r.reduce((s, x, i) => s + (x - q[i]) ** 2, 0);
        fc.pre(sig > 0 && noise > 0);
        const qq = q.reduce((s, x) => s + x * x, 0);
        fc.pre(qq > 0);
        const m = errorMetrics(r, q);
        expect(m.sqnrDb).toBeCloseTo(10 * Math.log10(sig / noise), 6);
        const cos = r.reduce((s, x, i) => s + x * q[i], 0) / Math.sqrt(sig * qq);
        expect(m.cosine).toBeCloseTo(Math.max(-1, Math.min(1, cos)), 9);
        expect(m.maxAbsError).toBe(Math.max(...r.map((x, i) => Math.abs(x - q[i]))));
      }),
    );
  });

  it('SQNR and cosine do not change when both signals are scaled by the same power of two', () => {
    fc.assert(
      fc.property(pairs, fc.integer({ min: -8, max: 8 }), ([r, q], k) => {
        const c = 2 ** k; // exact scaling: no rounding in r*c
        const a = errorMetrics(r, q);
        const b = errorMetrics(r.map((x) => x * c), q.map((x) => x * c));
        if (Number.isFinite(a.sqnrDb)) expect(b.sqnrDb).toBeCloseTo(a.sqnrDb, 9);
        else expect(same(b.sqnrDb, a.sqnrDb)).toBe(true);
        expect(b.cosine).toBeCloseTo(a.cosine, 12);
      }),
    );
  });

  it('a signal compared with itself is identical (+Infinity, cosine exactly 1, no error)', () => {
    fc.assert(
      fc.property(fc.array(f32, { minLength: 1, maxLength: 64 }), (r) => {
        const m = errorMetrics(r, r);
        expect(m.sqnrDb).toBe(Number.POSITIVE_INFINITY);
        expect(m.maxAbsError).toBe(0);
        expect(m.cosine).toBe(1);
      }),
    );
  });

  it('cosine stays in [-1, 1] and SQNR is symmetric in the sign of the error', () => {
    fc.assert(
      fc.property(pairs, ([r, q]) => {
        const m = errorMetrics(r, q);
        expect(m.cosine).toBeGreaterThanOrEqual(-1);
        expect(m.cosine).toBeLessThanOrEqual(1);
        // q' = 2r - q has error -(r - q): the same squared error.
        const mirrored = errorMetrics(r, r.map((x, i) => 2 * x - q[i]));
        if (Number.isFinite(m.sqnrDb) && Number.isFinite(mirrored.sqnrDb)) expect(mirrored.sqnrDb).toBeCloseTo(m.sqnrDb, 6);
      }),
    );
  });

  it('top-1: streaming over whole-row batches equals one-shot; a model agrees with itself on every row', () => {
    const rowsOf = fc
      .tuple(fc.integer({ min: 2, max: 6 }), fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 10 }))
      .chain(([classes, rows, cut]) =>
        fc.tuple(
          fc.constant(classes), fc.constant(rows), fc.constant(Math.min(cut, rows) * classes),
          fc.array(f32, { minLength: rows * classes, maxLength: rows * classes }),
          fc.array(f32, { minLength: rows * classes, maxLength: rows * classes }),
        ));
    fc.assert(
      fc.property(rowsOf, ([classes, rows, at, r, q]) => {
        const acc = new Top1Accumulator();
        acc.add(r.slice(0, at), q.slice(0, at), classes);
        acc.add(r.slice(at), q.slice(at), classes);
        expect(acc.result()).toEqual(top1Agreement(r, q, classes));
        expect(top1Agreement(r, r, classes).agree).toBe(rows);
      }),
    );
  });
});
