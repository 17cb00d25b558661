import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createPassContext, DataType, verifyErrors } from '@lowbit/onnx-ir';
import type { Model, PassResult } from '@lowbit/onnx-ir';
import { mkGraph, mkModel, mkNode } from '@lowbit/testing';
import { Tensor } from '@lowbit/kernels';
import { loadBackends } from '../backend.js';
import { Session } from '../session.js';
import { foldTransposeMatMul } from './fold-transpose-matmul.js';
import { OPTIMIZE_OPTIONS_KEY } from './support.js';
import { intsAttr, runLevels, tensorVi } from './test-support/qdq-graphs.js';

const run = (m: Model, options = {}) => foldTransposeMatMul.run(m, createPassContext({ options })) as PassResult;

interface Spec {
  /** perm of the Transpose feeding A / B (undefined: none). */
  permA?: number[];
  permB?: number[];
  /** dims of the graph inputs a, b (before their transposes). */
  aDims: number[];
  bDims: number[];
  /** Extra graph outputs (e.g. a transposed value). */
  leak?: string[];
  /** A second reader of the transposed B. */
  shareB?: boolean;
}

function model(s: Spec): Model {
  const nodes = [
    ...(s.permA ? [mkNode('Transpose', ['a'], ['at'], { name: 'ta', attributes: [intsAttr('perm', s.permA)] })] : []),
    ...(s.permB ? [mkNode('Transpose', ['b'], ['bt'], { name: 'tb', attributes: [intsAttr('perm', s.permB)] })] : []),
    mkNode('MatMul', [s.permA ? 'at' : 'a', s.permB ? 'bt' : 'b'], ['y'], { name: 'mm' }),
    ...(s.shareB ? [mkNode('Neg', ['bt'], ['nb'], { name: 'neg' })] : []),
  ];
  const outputs = ['y', ...(s.shareB ? ['nb'] : []), ...(s.leak ?? [])];
  return mkModel(mkGraph({ inputs: [tensorVi('a', DataType.FLOAT, s.aDims), tensorVi('b', DataType.FLOAT, s.bDims)], outputs, nodes }), { opset: 13 });
}

/** Attention's shapes: Q [1, S, H, D] by [0, 2, 1, 3], K [1, S, H, D] by [0, 2, 3, 1] (scores), V by [0, 2, 1, 3]. */
const ATTENTION: Spec[] = [
  { permA: [0, 2, 1, 3], permB: [0, 2, 3, 1], aDims: [1, 5, 3, 4], bDims: [1, 5, 3, 4] },
  { permB: [0, 2, 1, 3], aDims: [1, 3, 5, 5], bDims: [1, 5, 3, 4] },
  { permB: [1, 0], aDims: [3, 2], bDims: [4, 2] },
  { permA: [1, 0, 2], aDims: [4, 2, 3], bDims: [3, 5] },
];

const bits = (t: Tensor) => Array.from(new Uint32Array(Float32Array.from(t.data as Float32Array).buffer));
const dyadic = (dims: number[], seed: number) => {
  const n = dims.reduce((x, y) => x * y, 1);
  return new Tensor('float32', Float32Array.from({ length: n }, (_, i) => (((i * 37 + seed * 11) % 29) - 14) / 8), dims);
};
const random = (dims: number[], seed: number) => {
  const n = dims.reduce((x, y) => x * y, 1);
  return new Tensor('float32', Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.731 + seed) * 3), dims);
};

describe('fold-transpose-matmul', () => {
  it('folds the transposes of attention-shaped MatMuls into one lowbit.PermutedMatMul; verifies; same results as the unfused graph', () => {
    for (const s of ATTENTION) {
      const m = model(s);
      const r = run(m);
      expect(r.modified).toBe(true);
      expect(verifyErrors(r.model)).toEqual([]);
      expect(r.model.graph.nodes.map((n) => `${n.domain}.${n.opType}`)).toEqual(['lowbit.PermutedMatMul']);
      const f = r.model.graph.nodes[0];
      expect(f.inputs).toEqual(['a', 'b']);
      expect(f.outputs).toEqual(['y']);
      expect(f.attributes.map((a) => a.name)).toEqual([...(s.permA ? ['perm_a'] : []), ...(s.permB ? ['perm_b'] : [])]);
      expect(r.model.opsetImports).toContainEqual({ domain: 'lowbit', version: 1 });
      const feeds = { a: random(s.aDims, 1), b: random(s.bDims, 2) };
      const [a, b] = runLevels(m, feeds, ['none', 'all']);
      expect(bits(b.y)).toEqual(bits(a.y));
      expect(b.y.dims).toEqual(a.y.dims);
    }
  });

  it('leaves shared, observable, kept and unreadable layouts alone (identity rule)', () => {
    const base = ATTENTION[0];
    // A whose last axis moves: a strided GEMM cannot read it; B of rank 4 whose last axis goes first
    expect(run(model({ ...base, permA: [0, 2, 3, 1], permB: undefined, bDims: [1, 3, 5, 4] })).modified).toBe(false);
    expect(run(model({ permB: [3, 0, 1, 2], aDims: [5, 3, 2, 4], bDims: [2, 5, 3, 4] })).modified).toBe(false);
    const leaked = model({ ...base, leak: ['at', 'bt'] });
    expect(run(leaked).model).toBe(leaked);
    const kept = model(base);
    expect(run(kept, { [OPTIMIZE_OPTIONS_KEY]: { keep: (n: string) => n === 'at' || n === 'bt' } }).model).toBe(kept);
    // a transposed B read twice stays; A still folds
    const shared = run(model({ ...base, shareB: true }));
    expect(shared.model.graph.nodes.map((n) => n.opType).sort()).toEqual(['Neg', 'PermutedMatMul', 'Transpose']);
    // no PermutedMatMul kernel at least as good as MatMul's: nothing folds
    const m = model(base);
    expect(run(m, { [OPTIMIZE_OPTIONS_KEY]: { rank: (k: string) => (k === 'MatMul:f32' ? 2 : k.startsWith('lowbit.PermutedMatMul') ? 1 : undefined) } }).model).toBe(m);
  });

  it('property: any foldable permutation gives the unfused bits (reference kernels)', () => {
    const perm = (r: number) => fc.shuffledSubarray(Array.from({ length: r }, (_, i) => i), { minLength: r, maxLength: r });
    fc.assert(fc.property(fc.integer({ min: 2, max: 4 }), fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 4, maxLength: 4 }), fc.integer({ min: 1, max: 5 }), fc.nat(), (r, d, n, seed) => {
      return fc.assert(fc.property(perm(r), perm(r), (pa, pb) => {
        // A' = [.., M, K] with A's last axis last; B' = [.., K, N]
        if (pa[r - 1] !== r - 1) pa = [...pa.filter((x) => x !== r - 1), r - 1];
        const aT = d.slice(0, r); // A' dims
        const K = aT[r - 1];
        const bT = [...aT.slice(0, r - 2), K, n];
        const aDims = new Array<number>(r);
        pa.forEach((p, i) => (aDims[p] = aT[i]));
        const bDims = new Array<number>(r);
        pb.forEach((p, i) => (bDims[p] = bT[i]));
        const s: Spec = { permA: pa, permB: pb, aDims, bDims };
        const m = model(s);
        const feeds = { a: dyadic(aDims, seed), b: dyadic(bDims, seed + 1) };
        const [x, y] = runLevels(m, feeds, ['none', 'all']);
        expect(bits(y.y)).toEqual(bits(x.y));
      }), { numRuns: 3 }) ?? true;
    }), { numRuns: 25 });
  });

  it('native backend: the folded MatMul reads the operands in place and gives the unfused bits, for 1 and 3 threads', async () => {
    for (const threads of [1, 3]) {
      const [native] = await loadBackends('native', { threads });
      if (!native?.ready) return expect(native?.diagnostics.join(' ')).toMatch(/./);
      for (const s of [{ ...ATTENTION[0], aDims: [1, 64, 4, 64], bDims: [1, 64, 4, 64] }, { ...ATTENTION[1], aDims: [1, 4, 64, 64], bDims: [1, 64, 4, 64] }, ...ATTENTION]) {
        const m = model(s);
        const [fused, plain] = (['all', 'none'] as const).map((l) => Session.fromModel(m, { backend: 'native', backends: [native], graphOptimization: l }));
        expect(fused.optimization.opsAfter).toEqual({ 'lowbit.PermutedMatMul': 1 });
        const feeds = { a: random(s.aDims, 3), b: random(s.bDims, 4) };
        expect(bits(fused.runSync(feeds).y)).toEqual(bits(plain.runSync(feeds).y));
      }
      native.dispose?.();
    }
  });
});
