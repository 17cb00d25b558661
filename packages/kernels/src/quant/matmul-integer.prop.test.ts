/**
 * The reference MatMulInteger core walks i, k, j; its int32 wrap-around sum must equal the k-ascending dot product
 * `(acc + p) | 0` for any values, zero points, broadcast batch dims, including sums that wrap past 2^31.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planMatMul } from '../nn/matmul-shape.js';
import { matmulInteger } from './matmul-integer.js';

const node = { name: 'mmi', opType: 'MatMulInteger', domain: '', opset: 10, attrs: new Map(), inputTypes: [], outputCount: 1 };

function naive(a: ArrayLike<number>, b: ArrayLike<number>, za: Float64Array, zb: Float64Array, p: ReturnType<typeof planMatMul>): Int32Array {
  const out = new Int32Array(p.batch * p.M * p.N);
  for (let t = 0; t < p.batch; t++)
    for (let i = 0; i < p.M; i++)
      for (let j = 0; j < p.N; j++) {
        let acc = 0;
        for (let k = 0; k < p.K; k++) {
          const av = a[p.aIndex[t] * p.M * p.K + i * p.K + k] - (za.length === 1 ? za[0] : za[i]);
          acc = (acc + av * (b[p.bIndex[t] * p.K * p.N + k * p.N + j] - (zb.length === 1 ? zb[0] : zb[j]))) | 0;
        }
        out[t * p.M * p.N + i * p.N + j] = acc;
      }
  return out;
}

describe('matmulInteger core', () => {
  it('equals the k-ascending int32 dot product (any order of terms gives the same wrapped sum)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 6 }), fc.boolean(), fc.boolean(), fc.integer(), (M, K, N, batchA, perRow, seed) => {
      let s = seed >>> 0;
      const rnd = (lo: number, hi: number) => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), lo + (s % (hi - lo + 1)));
      const aDims = batchA ? [2, M, K] : [M, K];
      const bDims = batchA ? [K, N] : [3, K, N];
      const a = Int16Array.from({ length: aDims.reduce((x, y) => x * y) }, () => rnd(-128, 255));
      const b = Int16Array.from({ length: bDims.reduce((x, y) => x * y) }, () => rnd(-128, 255));
      const za = perRow ? Float64Array.from({ length: M }, () => rnd(0, 255)) : Float64Array.of(rnd(-128, 127));
      const zb = Float64Array.from({ length: perRow ? 1 : N }, () => rnd(-128, 255));
      const p = planMatMul(node, aDims, bDims);
      const got = new Int32Array(p.batch * M * N).fill(7);
      matmulInteger(a, b, za, zb, got, p);
      expect(Array.from(got)).toEqual(Array.from(naive(a, b, za, zb, p)));
    }), { numRuns: 150 });
  });

  it('wraps modulo 2^32 like the dot product (K = 40000, full-range uint8)', () => {
    const K = 40000;
    const a = new Uint8Array(K).fill(255);
    const b = new Uint8Array(K).fill(255);
    const p = planMatMul(node, [1, K], [K, 1]);
    const got = new Int32Array(1);
    matmulInteger(a, b, Float64Array.of(0), Float64Array.of(0), got, p);
    expect(got[0]).toBe((255 * 255 * K) | 0);
    expect(got[0]).toBeLessThan(0);
  });
});
