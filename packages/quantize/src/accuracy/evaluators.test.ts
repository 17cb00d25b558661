/** The built-in evaluators on hand-made outputs (worked examples, edge cases) and their laws (fast-check). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QuantizeError } from '../errors.js';
import { outputSqnr, top1Agreement, type ModelOutputs } from './evaluators.js';

const t = (data: number[], dims = [data.length]) => ({ dtype: 'float32', dims, data: Float32Array.from(data) });
const outs = (...batches: Record<string, number[] | { data: number[]; dims: number[] }>[]): ModelOutputs =>
  batches.map((b) => Object.fromEntries(Object.entries(b).map(([k, v]) => [k, Array.isArray(v) ? t(v) : t(v.data, v.dims)])));

describe('outputSqnr', () => {
  it('worked example: f = [1, 2], q = [1, 1] -> 10 log10(5 / 1) dB, over every batch and float output', async () => {
    const s = outputSqnr();
    expect(await s.evaluate(outs({ y: [1, 1] }), outs({ y: [1, 2] }))).toBeCloseTo(10 * Math.log10(5), 12);
    // two batches, two outputs: sums over all of them (signal 1+4+9+16 = 30, noise 1+0+0+4 = 5)
    expect(await s.evaluate(outs({ a: [0], b: [2] }, { a: [3], b: [2] }), outs({ a: [1], b: [2] }, { a: [3], b: [4] }))).toBeCloseTo(10 * Math.log10(30 / 5), 12);
    // only the named outputs
    expect(await outputSqnr(['b']).evaluate(outs({ a: [0], b: [2] }), outs({ a: [1], b: [2] }))).toBe(Infinity);
  });

  it('identical -> +Infinity; NaN or noise without signal -> -Infinity; a missing or mis-sized output is a QuantizeError', async () => {
    const s = outputSqnr();
    expect(await s.evaluate(outs({ y: [1, -2] }), outs({ y: [1, -2] }))).toBe(Infinity);
    expect(await s.evaluate(outs({ y: [1, NaN] }), outs({ y: [1, 2] }))).toBe(-Infinity);
    expect(await s.evaluate(outs({ y: [1] }), outs({ y: [0] }))).toBe(-Infinity);
    await expect(async () => s.evaluate(outs({ z: [1] }), outs({ y: [1] }))).rejects.toThrow(QuantizeError);
    await expect(async () => s.evaluate(outs({ y: [1, 2] }), outs({ y: [1] }))).rejects.toThrow(/outputs\[0\]\.y.*expected 1 values.*got 2/);
  });

  it('law: scaling both outputs by a power of two leaves the SQNR unchanged; more noise never raises it', () => {
    // eighths in [-125, 125]: exact in float32 at every scale 2^-8 .. 2^8 (no subnormals)
    const arr = fc.array(fc.integer({ min: -1000, max: 1000 }).map((i) => i / 8), { minLength: 1, maxLength: 16 });
    fc.assert(fc.property(arr, fc.integer({ min: -8, max: 8 }), fc.integer({ min: 1, max: 64 }).map((i) => i / 64), (f, e, eps) => {
      const q = f.map((v, i) => Math.fround(v + (i % 2 ? eps : -eps)));
      const c = 2 ** e;
      const s = outputSqnr();
      const base = s.evaluate(outs({ y: q }), outs({ y: f })) as number;
      const scaled = s.evaluate(outs({ y: q.map((v) => v * c) }), outs({ y: f.map((v) => v * c) })) as number;
      expect(scaled).toBeCloseTo(base, 9);
      const noisier = s.evaluate(outs({ y: q.map((v, i) => Math.fround(v + (i % 2 ? eps : -eps))) }), outs({ y: f })) as number;
      expect(noisier).toBeLessThanOrEqual(base);
    }));
  });
});

describe('top1Agreement', () => {
  it('rows along the last axis; ties take the first maximum; the first output unless named', async () => {
    const ref = outs({ p: { data: [0, 1, 0, 2, 1, 0], dims: [2, 3] }, z: [5, 1] });
    const got = outs({ p: { data: [0, 1, 0, 0, 1, 2], dims: [2, 3] }, z: [1, 5] });
    expect(await top1Agreement().evaluate(got, ref)).toBe(0.5);
    expect(await top1Agreement('z').evaluate(got, ref)).toBe(0);
    expect(await top1Agreement().evaluate(outs({ p: { data: [1, 1, 0, 2, 2, 0], dims: [2, 3] } }), outs({ p: { data: [1, 0, 0, 2, 0, 0], dims: [2, 3] } }))).toBe(1);
    await expect(async () => top1Agreement('nope').evaluate(got, ref)).rejects.toThrow(/option "output".*one of p, z/);
  });

  it('law: in [0, 1], and 1 on identical outputs', () => {
    const rows = fc.integer({ min: 1, max: 6 }).chain((w) => fc.tuple(fc.constant(w), fc.array(fc.float({ noNaN: true }), { minLength: w, maxLength: 4 * w }), fc.array(fc.float({ noNaN: true }), { minLength: w, maxLength: 4 * w })));
    fc.assert(fc.property(rows, ([w, a, b]) => {
      const n = Math.floor(Math.min(a.length, b.length) / w) * w;
      const ref = outs({ y: { data: a.slice(0, n), dims: [n / w, w] } });
      const got = outs({ y: { data: b.slice(0, n), dims: [n / w, w] } });
      const s = top1Agreement().evaluate(got, ref) as number;
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(1);
      expect(top1Agreement().evaluate(ref, ref)).toBe(1);
    }));
  });
});
