/**
 * The reference float MatMul core walks i, k, j; every output must still equal the k-ordered dot product with a
 * float32 rounding after each product and each sum (bit for bit, signed zeros and NaN included), for any values and
 * broadcast batch dims.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matmulFloat } from './matmul.js';
import { planMatMul } from './matmul-shape.js';

const node = { name: 'mm', opType: 'MatMul', domain: '', opset: 13, attrs: new Map(), inputTypes: [], outputCount: 1 };

describe('matmulFloat core', () => {
  it('equals the k-ordered float32 dot product bit for bit', () => {
    const val = fc.oneof(fc.float({ noDefaultInfinity: false }), fc.constantFrom(0, -0, 1, -1, 3.4e38, -3.4e38, 1e-45));
    fc.assert(fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 9 }), fc.integer({ min: 1, max: 5 }), fc.boolean(), fc.array(val, { minLength: 200, maxLength: 200 }), (M, K, N, bcast, pool) => {
      const aDims = bcast ? [2, M, K] : [M, K];
      const bDims = bcast ? [K, N] : [3, K, N];
      let n = 0;
      const next = () => pool[n++ % pool.length];
      const a = Float32Array.from({ length: aDims.reduce((x, y) => x * y) }, next);
      const b = Float32Array.from({ length: bDims.reduce((x, y) => x * y) }, next);
      const p = planMatMul(node, aDims, bDims);
      const got = new Float32Array(p.batch * M * N).fill(7);
      matmulFloat(a, b, got, p, Math.fround);
      const want = new Float32Array(p.batch * M * N);
      for (let t = 0; t < p.batch; t++)
        for (let i = 0; i < M; i++)
          for (let j = 0; j < N; j++) {
            let acc = 0;
            for (let k = 0; k < K; k++) acc = Math.fround(acc + Math.fround(a[p.aIndex[t] * M * K + i * K + k] * b[p.bIndex[t] * K * N + k * N + j]));
            want[t * M * N + i * N + j] = acc;
          }
      expect(new Uint8Array(got.buffer)).toEqual(new Uint8Array(want.buffer));
    }), { numRuns: 200 });
  });
});
