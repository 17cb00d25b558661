import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createPassContext, DataType, verifyErrors } from '@lowbit/onnx-ir';
import type { Model, PassResult } from '@lowbit/onnx-ir';
import { mkGraph, mkModel, mkNode } from '@lowbit/testing';
import { Tensor } from '@lowbit/kernels';
import { loadBackends } from '../backend.js';
import { Session } from '../session.js';
import { fuseLayerNormQuantize } from './fuse-layernorm-quantize.js';
import { optimizeForSession } from './pipeline.js';
import { OPTIMIZE_OPTIONS_KEY } from './support.js';
import { f32, i8, intAttr, runLevels, tensorVi, u8 } from './test-support/qdq-graphs.js';

const run = (m: Model, options = {}) => fuseLayerNormQuantize.run(m, createPassContext({ options })) as PassResult;

interface Spec {
  zp?: 'uint8' | 'int8';
  bias?: boolean;
  /** Mean output read by a graph output; Y also a graph output; per-axis quantization; stash_type 0. */
  variant?: 'mean' | 'leak' | 'perAxis' | 'stash0';
}

const W = 37;
function model(s: Spec = {}, rows = 3): Model {
  const n = s.variant === 'perAxis' ? W : 1;
  const zp = s.zp === 'int8' ? i8('zp', n === 1 ? [] : [n], Array.from({ length: n }, (_, k) => k % 5 - 2)) : u8('zp', n === 1 ? [] : [n], Array.from({ length: n }, (_, k) => 125 + (k % 5)));
  const inits = [f32('g', [W], Array.from({ length: W }, (_, k) => 0.5 + k / W)), f32('b', [W], Array.from({ length: W }, (_, k) => Math.sin(k) / 4)), f32('ys', n === 1 ? [] : [n], Array.from({ length: n }, (_, k) => 0.015 + k / 1000)), zp];
  const lnOuts = s.variant === 'mean' ? ['n', 'mean'] : ['n'];
  const nodes = [
    mkNode('LayerNormalization', ['x', 'g', ...(s.bias === false ? [] : ['b'])], lnOuts, { name: 'ln', attributes: [intAttr('axis', -1), ...(s.variant === 'stash0' ? [intAttr('stash_type', 0)] : [])] }),
    mkNode('QuantizeLinear', ['n', 'ys', 'zp'], ['y'], { name: 'q', attributes: n > 1 ? [intAttr('axis', 1)] : [] }),
  ];
  const outputs = ['y', ...(s.variant === 'mean' ? ['mean'] : s.variant === 'leak' ? ['n'] : [])];
  return mkModel(mkGraph({ inputs: [tensorVi('x', DataType.FLOAT, [rows, W])], outputs, initializers: inits, nodes }), { opset: 21 });
}

const xOf = (rows: number) => new Tensor('float32', Float32Array.from({ length: rows * W }, (_, i) => (i % 53 === 7 ? [NaN, Infinity, -Infinity][i % 3] : Math.sin(i * 0.77) * 3 + (i % W) / 10)), [rows, W]);
const same = (a: Tensor, b: Tensor) => expect([a.dtype, Array.from(a.data as ArrayLike<number>)]).toEqual([b.dtype, Array.from(b.data as ArrayLike<number>)]);

describe('fuse-layernorm-quantize', () => {
  it('LayerNormalization -> per-tensor QuantizeLinear (uint8, int8, with and without B) becomes one lowbit.QLayerNorm; verifies; equal to the unfused graph', () => {
    for (const zp of ['uint8', 'int8'] as const)
      for (const bias of [true, false]) {
        const m = model({ zp, bias });
        const r = run(m);
        expect(r.modified).toBe(true);
        expect(verifyErrors(r.model)).toEqual([]);
        expect(r.model.graph.nodes.map((k) => `${k.domain}.${k.opType}`)).toEqual(['lowbit.QLayerNorm']);
        expect(r.model.graph.nodes[0].inputs).toEqual(['x', 'g', bias ? 'b' : null, 'ys', 'zp']);
        expect(r.model.graph.nodes[0].outputs).toEqual(['y']);
        expect(optimizeForSession(m, { level: 'all' }).report.opsAfter).toEqual({ 'lowbit.QLayerNorm': 1 });
        const [a, b] = runLevels(m, { x: xOf(3) }, ['none', 'all']);
        expect(b.y.dtype).toBe(zp);
        same(b.y, a.y);
      }
  });

  it('does not apply (same object back): Mean output used, Y a graph output or kept, per-axis quantization, another stash_type, a rank guard that prefers LayerNormalization', () => {
    for (const variant of ['mean', 'leak', 'perAxis', 'stash0'] as const) {
      const m = model({ variant });
      expect(run(m).model).toBe(m);
    }
    const m = model();
    expect(run(m, { [OPTIMIZE_OPTIONS_KEY]: { keep: (k: string) => k === 'n' } }).model).toBe(m);
    expect(run(m, { [OPTIMIZE_OPTIONS_KEY]: { rank: (k: string) => (k === 'lowbit.QLayerNorm:f32' ? 0 : 5) } }).model).toBe(m);
    const once = run(m).model;
    expect(run(once).model).toBe(once);
  });

  it('property: fused equals unfused for any inputs (js backend)', () => {
    fc.assert(fc.property(fc.array(fc.float({ noNaN: false }), { minLength: 2 * W, maxLength: 2 * W }), fc.constantFrom('uint8' as const, 'int8' as const), fc.boolean(), (xs, zp, bias) => {
      const [a, b] = runLevels(model({ zp, bias }, 2), { x: new Tensor('float32', xs, [2, W]) }, ['none', 'all']);
      same(b.y, a.y);
    }), { numRuns: 50 });
  });

  it('native backend: the fused kernel runs and equals the unfused graph run natively and the reference (rows past the stack block)', async () => {
    const [native] = await loadBackends('native', { threads: 1 });
    if (!native?.ready) return expect(native?.diagnostics.join(' ')).toMatch(/./);
    for (const zp of ['uint8', 'int8'] as const) {
      const rows = 300; // 8192 / 37 = 221 rows per block: two blocks
      const m = model({ zp }, rows);
      const [fused, plain] = (['all', 'none'] as const).map((l) => Session.fromModel(m, { backend: 'native', backends: [native], graphOptimization: l }));
      expect(fused.optimization.opsAfter).toEqual({ 'lowbit.QLayerNorm': 1 });
      const x = xOf(rows);
      const yf = fused.runSync({ x }).y;
      same(yf, plain.runSync({ x }).y);
      same(yf, runLevels(m, { x }, ['none'])[0].y);
    }
    native.dispose?.();
  });
});
