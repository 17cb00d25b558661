import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createPassContext, DataType, verifyErrors } from '@lowbit/onnx-ir';
import type { Model, PassResult } from '@lowbit/onnx-ir';
import { mkGraph, mkModel, mkNode } from '@lowbit/testing';
import { Tensor } from '@lowbit/kernels';
import { loadBackends } from '../backend.js';
import { Session } from '../session.js';
import { fuseGeluErf } from './fuse-gelu.js';
import { OPTIMIZE_OPTIONS_KEY } from './support.js';
import { f32, runLevels, tensorVi } from './test-support/qdq-graphs.js';

const run = (m: Model, options = {}) => fuseGeluErf.run(m, createPassContext({ options })) as PassResult;

interface Spec {
  /** 'mul': s = x * c1 (bert-shaped); 'div': s = x / c1 (PyTorch's x / sqrt(2)). */
  first?: 'mul' | 'div';
  /** true: y = (x * c3) * a (PyTorch's x * 0.5 * (1 + erf)); false: y = (x * a) * c3. */
  scaleFirst?: boolean;
  swap?: boolean;
  c1?: number; c2?: number; c3?: number;
  /** dims of c1 (rank 0 fuses). */
  c1Dims?: number[];
  /** An extra graph output reading this intermediate. */
  leak?: string;
}

function model(s: Spec = {}): Model {
  const sw = (a: string, b: string) => (s.swap ? [b, a] : [a, b]);
  const inits = [f32('c1', s.c1Dims ?? [], [s.c1 ?? (s.first === 'div' ? Math.SQRT2 : Math.SQRT1_2)]), f32('c2', [], [s.c2 ?? 1]), f32('c3', [], [s.c3 ?? 0.5])];
  const nodes = [
    s.first === 'div' ? mkNode('Div', ['x', 'c1'], ['s'], { name: 'div' }) : mkNode('Mul', sw('x', 'c1'), ['s'], { name: 'scale' }),
    mkNode('Erf', ['s'], ['e'], { name: 'erf' }),
    mkNode('Add', sw('e', 'c2'), ['a'], { name: 'add' }),
    ...(s.scaleFirst
      ? [mkNode('Mul', sw('x', 'c3'), ['h'], { name: 'half' }), mkNode('Mul', sw('h', 'a'), ['y'], { name: 'gate' })]
      : [mkNode('Mul', sw('x', 'a'), ['m'], { name: 'gate' }), mkNode('Mul', sw('m', 'c3'), ['y'], { name: 'half' })]),
  ];
  return mkModel(mkGraph({ inputs: [tensorVi('x', DataType.FLOAT, [2, 5])], outputs: ['y', ...(s.leak ? [s.leak] : [])], initializers: inits, nodes }), { opset: 13 });
}

const x = new Tensor('float32', [0.3, -1.7, 2.2, 0.01, 0, -0.6, -3.1, 5.5, -6, 1e-30], [2, 5]);
const bits = (t: Tensor) => Array.from(new Uint32Array(Float32Array.from(t.data as Float32Array).buffer));
const FORMS: Spec[] = [{}, { swap: true }, { first: 'div' }, { scaleFirst: true }, { first: 'div', scaleFirst: true, swap: true }];

describe('fuse-gelu-erf', () => {
  it('applies to every form: five nodes become one lowbit.GeluErf; verifies; bit-identical to the unfused graph', () => {
    for (const s of FORMS) {
      const m = model(s);
      const r = run(m);
      expect(r.modified).toBe(true);
      expect(verifyErrors(r.model)).toEqual([]);
      expect(r.model.graph.nodes.map((n) => `${n.domain}.${n.opType}`)).toEqual(['lowbit.GeluErf']);
      const fused = r.model.graph.nodes[0];
      expect(fused.inputs).toEqual(['x']);
      expect(fused.outputs).toEqual(['y']);
      expect(r.model.opsetImports).toContainEqual({ domain: 'lowbit', version: 1 });
      const [a, b] = runLevels(m, { x }, ['none', 'all']);
      expect(bits(b.y)).toEqual(bits(a.y));
    }
  });

  it('does not apply (same object back): a kept or escaping intermediate, a non-scalar constant, a rank guard that prefers Erf', () => {
    const m = model();
    expect(run(m, { [OPTIMIZE_OPTIONS_KEY]: { keep: (n: string) => n === 'e' } }).model).toBe(m);
    for (const leak of ['s', 'e', 'a', 'm']) {
      const leaky = model({ leak });
      expect(run(leaky).model).toBe(leaky);
    }
    const wide = model({ c1Dims: [1] });
    expect(run(wide).model).toBe(wide);
    expect(run(m, { [OPTIMIZE_OPTIONS_KEY]: { rank: (k: string) => (k.startsWith('Erf') ? 9 : 0) } }).model).toBe(m);
  });

  it('running twice changes nothing', () => {
    const once = run(model()).model;
    expect(run(once).model).toBe(once);
  });

  it('property: fused and unfused are bit-identical for any constants and inputs (js backend)', () => {
    const arb = fc.record({
      form: fc.constantFrom(...FORMS),
      c1: fc.float({ min: -4, max: 4, noNaN: true }), c2: fc.float({ min: -2, max: 2, noNaN: true }), c3: fc.float({ min: -2, max: 2, noNaN: true }),
      xs: fc.array(fc.float({ noNaN: false }), { minLength: 10, maxLength: 10 }),
    });
    fc.assert(fc.property(arb, ({ form, c1, c2, c3, xs }) => {
      const m = model({ ...form, c1: c1 === 0 ? 1 : c1, c2, c3 });
      const [a, b] = runLevels(m, { x: new Tensor('float32', xs, [2, 5]) }, ['none', 'all']);
      expect(bits(b.y)).toEqual(bits(a.y));
    }), { numRuns: 100 });
  });

  it('native backend: the fused kernel runs and is bit-identical to the unfused nodes run natively', async () => {
    const [native] = await loadBackends('native', { threads: 1 });
    if (!native?.ready) return expect(native?.diagnostics.join(' ')).toMatch(/./);
    const input = new Tensor('float32', Float32Array.from({ length: 4000 }, (_, i) => Math.sin(i * 0.37) * 7), [8, 500]);
    for (const s of FORMS) {
      const m = { ...model(s), graph: { ...model(s).graph, inputs: [tensorVi('x', DataType.FLOAT, [8, 500])] } };
      const [fused, plain] = (['all', 'none'] as const).map((l) => Session.fromModel(m, { backend: 'native', backends: [native], graphOptimization: l }));
      expect(fused.optimization.opsAfter).toEqual({ 'lowbit.GeluErf': 1 });
      expect(bits(fused.runSync({ x: input }).y)).toEqual(bits(plain.runSync({ x: input }).y));
    }
    native.dispose?.();
  });
});
