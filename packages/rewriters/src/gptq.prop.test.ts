import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseQParams } from '@lowbit/qparams';
import { gptqQuantize, rtnQuantize } from './gptq.js';
import { randFloats } from './test-support/build.js';

describe('GPTQ laws', () => {
  it('with a diagonal Hessian (one-hot activations) no error is propagated: GPTQ equals RTN, in either order', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 999 }), fc.boolean(), fc.constantFrom('int4', 'uint4', 'int8') as fc.Arbitrary<'int4' | 'uint4' | 'int8'>, (blocks, n, seed, actOrder, dtype) => {
      const bs = 16;
      const k = blocks * bs;
      const w = randFloats(k * n, seed);
      const x = new Float32Array(k * k);
      for (let i = 0; i < k; i++) x[i * k + i] = 1 + (i % 3); // X^T X diagonal
      const spec = { dtype, scheme: dtype === 'uint4' ? 'asymmetric' : 'symmetric' } as const;
      const g = gptqQuantize(w, k, n, x, k, spec, { blockSize: bs, actOrder });
      const r = rtnQuantize(w, k, n, spec, bs);
      expect(Array.from(g.q)).toEqual(Array.from(r.q));
      expect(Array.from(g.params.scales)).toEqual(Array.from(r.params.scales));
    }), { numRuns: 40 });
  });

  it('RTN block parameters are chooseQParams per-block along K', () => {
    const w = randFloats(64 * 3, 5);
    const r = rtnQuantize(w, 64, 3, { dtype: 'int4', scheme: 'symmetric' }, 32);
    const c = chooseQParams({ data: w, dims: [64, 3] }, { dtype: 'int4', scheme: 'symmetric', granularity: 'per-block', axis: 0, blockSize: 32 });
    expect(r.params.dims).toEqual([2, 3]);
    expect(Array.from(r.params.scales)).toEqual(Array.from(c.scale));
  });
});
