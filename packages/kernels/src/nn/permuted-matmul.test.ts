/**
 * lowbit.PermutedMatMul's reference kernel: the documented example, equality with Transpose then MatMul on the
 * reference kernels (fast-check over ranks, permutations and batch broadcasting), float64 / float16 variants and the
 * typed errors.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AttrValue, KernelNode } from '../contract.js';
import { KernelError } from '../errors.js';
import { keyFor } from '../keys.js';
import { createReferenceRegistry } from '../reference.js';
import { freshRunContext } from '../run-context.js';
import { Tensor, type DType } from '../tensor.js';

const reg = createReferenceRegistry();
function run(opType: string, domain: string, inputs: Tensor[], attrs: Record<string, AttrValue> = {}) {
  const node: KernelNode = { name: `my_${opType}`, opType, domain, opset: 13, attrs: new Map(Object.entries(attrs)), inputTypes: inputs.map((t) => t.dtype), outputCount: 1 };
  return reg.resolve(keyFor(node)).create(node).run(inputs, freshRunContext)[0]!;
}
const tensor = (dtype: DType, dims: number[], seed: number) =>
  new Tensor(dtype, Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 1.37 + seed) * 4) as never, dims);

describe('lowbit.PermutedMatMul (reference)', () => {
  it('computes the TSDoc example: A [2, 3] with perm_a [1, 0] times B [2, 1] is A^T B', () => {
    const a = new Tensor('float32', [1, 2, 3, 4, 5, 6], [2, 3]);
    const b = new Tensor('float32', [1, 10], [2, 1]);
    const y = run('PermutedMatMul', 'lowbit', [a, b], { perm_a: [1, 0] });
    expect(y.dims).toEqual([3, 1]);
    expect(Array.from(y.data as Float32Array)).toEqual([41, 52, 63]);
  });

  it('property: equals Transpose then MatMul, bit for bit (float32, float64, float16)', () => {
    const perm = (r: number) => fc.shuffledSubarray(Array.from({ length: r }, (_, i) => i), { minLength: r, maxLength: r });
    const arb = fc.integer({ min: 2, max: 4 }).chain((r) => fc.record({
      r: fc.constant(r), pa: fc.option(perm(r), { nil: undefined }), pb: fc.option(perm(r), { nil: undefined }),
      d: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: r + 1, maxLength: r + 1 }), bcast: fc.boolean(), seed: fc.nat(1000),
      dtype: fc.constantFrom<DType>('float32', 'float64', 'float16'),
    }));
    fc.assert(fc.property(arb, ({ r, pa, pb, d, bcast, seed, dtype }) => {
      const aT = d.slice(0, r);
      const bT = [...aT.slice(0, r - 2).map((x) => (bcast ? 1 : x)), aT[r - 1], d[r]];
      const inv = (dims: number[], p: number[] | undefined) => {
        if (!p) return dims;
        const out = new Array<number>(dims.length);
        p.forEach((q, i) => (out[q] = dims[i]));
        return out;
      };
      const a = tensor(dtype, inv(aT, pa), seed);
      const b = tensor(dtype, inv(bT, pb), seed + 1);
      const at = pa ? run('Transpose', '', [a], { perm: pa }) : a;
      const bt = pb ? run('Transpose', '', [b], { perm: pb }) : b;
      const want = run('MatMul', '', [at, bt]);
      const got = run('PermutedMatMul', 'lowbit', [a, b], { ...(pa ? { perm_a: pa } : {}), ...(pb ? { perm_b: pb } : {}) });
      expect(got.dtype).toBe(dtype);
      expect(got.dims).toEqual(want.dims);
      expect(Array.from(got.data as ArrayLike<number>)).toEqual(Array.from(want.data as ArrayLike<number>));
    }), { numRuns: 150 });
  });

  it('reports a bad permutation and mismatched inner dims as KernelErrors naming the node', () => {
    const a = tensor('float32', [2, 3], 1);
    expect(() => run('PermutedMatMul', 'lowbit', [a, a], { perm_a: [0, 0] })).toThrow(KernelError);
    expect(() => run('PermutedMatMul', 'lowbit', [a, a], { perm_b: [0, 1, 2] })).toThrow(/my_PermutedMatMul.*perm_b|perm_b.*my_PermutedMatMul/s);
    expect(() => run('PermutedMatMul', 'lowbit', [a, a])).toThrow(/inner dimension/);
    expect(Array.from(run('PermutedMatMul', 'lowbit', [a, a], { perm_b: [1, 0] }).dims)).toEqual([2, 2]);
  });
});
