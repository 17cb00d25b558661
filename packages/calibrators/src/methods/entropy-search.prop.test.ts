/**
 * The entropy search is a real search: on heavy-tailed data with 2048 bins it clips (differs from min-max), and the
 * window it returns has the least KL divergence of all its candidates.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { entropy, entropyCandidates, entropyPresets } from './entropy.js';
import { minMax } from './min-max.js';

/** Laplace-ish heavy tail from uniforms u in (0,1): sign * -ln(u) * scale, plus a few far outliers. */
function heavyTailed(us: readonly number[], outliers: readonly number[]): Float32Array {
  const v = us.map((u, i) => (i % 2 ? 1 : -1) * -Math.log(u) * 0.25);
  return Float32Array.from([...v, ...outliers]);
}

function calibrateWith(spec: Record<string, unknown>, x: Float32Array) {
  const t = { dims: [x.length], data: x };
  const pre = minMax.computeRange(minMax.observe(minMax.init({ includeZero: false }), t));
  const full = { ...spec, range: { min: pre.min, max: pre.max } };
  const s = entropy.observe(entropy.init(full as never), t);
  return { state: s, range: entropy.computeRange(s), pre };
}

/** Uniforms in (0, 1) from a seed (a 32-bit LCG), so shrinking keeps the data heavy-tailed, not constant. */
function uniforms(seed: number, n: number): number[] {
  let x = seed >>> 0;
  return Array.from({ length: n }, () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return (x + 0.5) / 4294967296;
  });
}

const data = fc.tuple(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 600, max: 2000 }), fc.array(fc.double({ min: 20, max: 60, noNaN: true }), { minLength: 1, maxLength: 4 }))
  .map(([seed, n, out]) => heavyTailed(uniforms(seed, n), out));

describe('entropy threshold search', () => {
  it('2048 bins: the chosen window has KL <= every other candidate, and it clips the outliers (differs from min-max)', () => {
    fc.assert(fc.property(data, (x) => {
      for (const histogram of ['abs', 'signed'] as const) {
        const { state, range, pre } = calibrateWith({ bins: 2048, levels: 128, histogram }, x);
        const cands = entropyCandidates(state);
        if (cands.length < 500) return false;
        const chosen = cands.find((c) => c.lo === range.min[0] && c.hi === range.max[0]);
        if (!chosen || !(chosen.kl < Infinity)) return false;
        if (cands.some((c) => c.kl < chosen.kl)) return false;
        // clipped to the observed range (as quantizeStatic does), the window is strictly narrower than min-max
        const lo = Math.max(range.min[0], pre.min[0]), hi = Math.min(range.max[0], pre.max[0]);
        if (!(hi - lo < 0.9 * (pre.max[0] - pre.min[0]))) return false;
      }
      return true;
    }), { numRuns: 4 });
  });

  it("onnxruntime's 128/128 preset has a single candidate: the full range", () => {
    const x = heavyTailed(Array.from({ length: 800 }, (_, i) => (i + 0.5) / 800), [30]);
    const { state } = calibrateWith({ ...entropyPresets.onnxruntime }, x);
    expect(entropyCandidates(state)).toHaveLength(1);
  });
});
