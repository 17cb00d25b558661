/**
 * The addon's DynamicQuantizeLinear with a thread pool (large inputs split their range and quantizing passes over the
 * threads) against the reference kernel: the same bytes, scale and zero point for any finite input, whatever the
 * number of threads and wherever the pieces split; a non-finite element anywhere is refused (false), as without a pool.
 * Its form with the range given (`quantizeLinearRanged`, what a convolution's epilogue gathered) likewise.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Tensor, freshRunContext, referenceKernels } from '@lowbit/kernels';
import { loadAddon } from './addon.js';
import { node } from './test-support.js';

const loaded = loadAddon();
const KEY = 'DynamicQuantizeLinear:f32->u8';

/** The reference's (y, scale, zero point). */
function reference(x: Float32Array): { y: Uint8Array; scale: number; zp: number } {
  const k = referenceKernels().find((r) => r.key === KEY)!;
  const [y, s, z] = k.create(node('DynamicQuantizeLinear', ['float32'])).run([new Tensor('float32', x, [x.length])], freshRunContext);
  return { y: y!.data as Uint8Array, scale: (s!.data as Float32Array)[0], zp: (z!.data as Uint8Array)[0] };
}

/** x of n values: a pattern (signed sine, one-sided, all zero, ties on the scale's half steps, tiny spread) from a seed. */
function input(n: number, pattern: number, seed: number, exp: number): Float32Array {
  const x = new Float32Array(n);
  const spread = Math.fround(2 ** exp);
  if (pattern === 3) {
    // the range pinned by two values, then values on exact .5 quotients of the scale and one ulp either side
    const lo = Math.fround(-0.7 * spread), hi = Math.fround(1.3 * spread);
    const s = Math.fround((hi - lo) / 255);
    for (let i = 0; i < n; i++) {
      const k = ((i * 7919 + seed) % 300) - 150;
      let v = Math.fround((k + 0.5) * s);
      const d = (i + seed) % 3;
      if (d) v = Math.fround(v + (d === 1 ? 1 : -1) * Math.abs(v) * 2 ** -23);
      x[i] = v < lo ? lo : v > hi ? hi : v;
    }
    x[(seed * 31) % n] = lo;
    x[(seed * 17 + 5) % n] = hi;
    return x;
  }
  for (let i = 0; i < n; i++) {
    const v = Math.sin(i * 0.7311 + seed) * spread;
    x[i] = pattern === 0 ? v : pattern === 1 ? Math.abs(v) : pattern === 2 ? 0 : Math.fround(v * 1e-30);
  }
  return x;
}

/** (pool index 0..2, length around the split threshold up to `most`, input pattern, seed, spread exponent) */
const inputCase = (most: number) =>
  [
    fc.integer({ min: 0, max: 2 }),
    fc.oneof(fc.integer({ min: 65530, max: 65600 }), fc.integer({ min: 65536, max: most }), fc.integer({ min: 1, max: 5000 })),
    fc.integer({ min: 0, max: 4 }),
    fc.integer({ min: 0, max: 1e6 }),
    fc.integer({ min: -20, max: 20 }),
  ] as const;

describe('native DynamicQuantizeLinear over a thread pool', () => {
  if ('error' in loaded) {
    it('has no addon to test (reported)', () => expect(loaded.error).toMatch(/./));
    return;
  }
  const { addon } = loaded;

  it('equals the reference for any finite input, 2 to 5 threads, lengths around the split threshold', () => {
    const pools = [2, 3, 5].map((t) => new addon.Pool(t));
    try {
      fc.assert(
        fc.property(
          ...inputCase(300000),
          (p, n, pattern, seed, exp) => {
            const x = input(n, pattern, seed, exp);
            const want = reference(x);
            const y = new Uint8Array(n).fill(0xa5);
            const s = new Float32Array(1), z = new Uint8Array(1);
            expect(addon.dynamicQuantizeLinear(x, y, s, z, pools[p])).toBe(true);
            expect([s[0], z[0]]).toEqual([want.scale, want.zp]);
            expect(Buffer.from(y).equals(Buffer.from(want.y))).toBe(true);
          },
        ),
        { numRuns: 25 },
      );
    } finally {
      for (const p of pools) p.close();
    }
  });

  it('quantizeLinearRanged with the true range (min(0, min x), max(0, max x)) equals the reference, with and without a pool; refuses a range not marked gathered', () => {
    const pools = [null, new addon.Pool(2), new addon.Pool(3)];
    try {
      fc.assert(
        fc.property(
          ...inputCase(200000),
          (p, n, pattern, seed, exp) => {
            const x = input(n, pattern, seed, exp);
            const want = reference(x);
            let lo = 0, hi = 0;
            for (const v of x) {
              lo = v < lo ? v : lo;
              hi = v > hi ? v : hi;
            }
            const y = new Uint8Array(n).fill(0xa5);
            const s = new Float32Array(1), z = new Uint8Array(1);
            expect(addon.quantizeLinearRanged(x, y, Float32Array.of(lo, hi, 0), s, z, pools[p])).toBe(false);
            expect(y[0]).toBe(0xa5);
            expect(addon.quantizeLinearRanged(x, y, Float32Array.of(lo, hi, 1), s, z, pools[p])).toBe(true);
            expect([s[0], z[0]]).toEqual([want.scale, want.zp]);
            expect(Buffer.from(y).equals(Buffer.from(want.y))).toBe(true);
          },
        ),
        { numRuns: 25 },
      );
    } finally {
      for (const p of pools) p?.close();
    }
  });

  it('refuses a non-finite element in any piece (false, as without a pool)', () => {
    const pool = new addon.Pool(3);
    try {
      const n = 200003;
      for (const at of [0, 66000, 133400, n - 1])
        for (const bad of [NaN, Infinity, -Infinity]) {
          const x = input(n, 0, 7, 0);
          x[at] = bad;
          expect(addon.dynamicQuantizeLinear(x, new Uint8Array(n), new Float32Array(1), new Uint8Array(1), pool)).toBe(false);
          expect(addon.dynamicQuantizeLinear(x, new Uint8Array(n), new Float32Array(1), new Uint8Array(1))).toBe(false);
        }
    } finally {
      pool.close();
    }
  });
});
