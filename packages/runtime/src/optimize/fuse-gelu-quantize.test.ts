import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createPassContext, DataType, verifyErrors } from '@lowbit/onnx-ir';
import type { Model, PassResult, TensorRef } from '@lowbit/onnx-ir';
import { mkGraph, mkModel, mkNode } from '@lowbit/testing';
import { Tensor } from '@lowbit/kernels';
import { loadBackends } from '../backend.js';
import { Session } from '../session.js';
import { fuseGeluErf } from './fuse-gelu.js';
import { fuseGeluQuantize } from './fuse-gelu-quantize.js';
import { optimizeForSession } from './pipeline.js';
import { OPTIMIZE_OPTIONS_KEY } from './support.js';
import { f32, i8, intAttr, runLevels, tensorVi, u8 } from './test-support/qdq-graphs.js';

const run = (m: Model, options = {}) => fuseGeluQuantize.run(m, createPassContext({ options })) as PassResult;

interface Spec {
  /** Zero point type (default uint8); 'none': no zero point input. */
  zp?: 'uint8' | 'int8' | 'none';
  /** Scale / zero point element count (1: per tensor). */
  n?: number;
  /** An extra graph output reading the GELU's float output, or a second consumer of it. */
  leak?: 'output' | 'consumer';
  blockSize?: number;
}

/** x -> GELU (the five nodes) -> QuantizeLinear -> y, then through fuse-gelu-erf (so the graph holds lowbit.GeluErf). */
function model(s: Spec = {}, dims = [2, 5]): Model {
  const n = s.n ?? 1;
  const zps: TensorRef[] = s.zp === 'none' ? [] : [s.zp === 'int8' ? i8('zp', n === 1 ? [] : [n], Array.from({ length: n }, (_, k) => k - 3)) : u8('zp', n === 1 ? [] : [n], Array.from({ length: n }, (_, k) => 120 + k))];
  const inits = [f32('c1', [], [Math.SQRT1_2]), f32('one', [], [1]), f32('half', [], [0.5]), f32('ys', n === 1 ? [] : [n], Array.from({ length: n }, (_, k) => 0.02 + k / 100)), ...zps];
  const nodes = [
    mkNode('Mul', ['x', 'c1'], ['s'], { name: 'scale' }),
    mkNode('Erf', ['s'], ['e'], { name: 'erf' }),
    mkNode('Add', ['e', 'one'], ['a'], { name: 'add' }),
    mkNode('Mul', ['x', 'a'], ['m'], { name: 'gate' }),
    mkNode('Mul', ['m', 'half'], ['g'], { name: 'halve' }),
    mkNode('QuantizeLinear', ['g', 'ys', ...(s.zp === 'none' ? [] : ['zp'])], ['y'], { name: 'q', attributes: [...(n > 1 ? [intAttr('axis', 1)] : []), ...(s.blockSize ? [intAttr('block_size', s.blockSize)] : [])] }),
    ...(s.leak === 'consumer' ? [mkNode('Relu', ['g'], ['r'], { name: 'relu' })] : []),
  ];
  const outputs = ['y', ...(s.leak === 'output' ? ['g'] : s.leak === 'consumer' ? ['r'] : [])];
  const m = mkModel(mkGraph({ inputs: [tensorVi('x', DataType.FLOAT, dims)], outputs, initializers: inits, nodes }), { opset: 21 });
  return (fuseGeluErf.run(m, createPassContext({ options: {} })) as PassResult).model;
}

const x = new Tensor('float32', [0.3, -1.7, 2.2, 0.01, 0, -0.6, -3.1, 5.5, NaN, 1e-30], [2, 5]);
const same = (a: Tensor, b: Tensor) => expect([a.dtype, Array.from(a.data as ArrayLike<number>)]).toEqual([b.dtype, Array.from(b.data as ArrayLike<number>)]);

describe('fuse-gelu-quantize', () => {
  it('GeluErf -> per-tensor QuantizeLinear (uint8, int8) becomes one lowbit.QGeluErf; verifies; equal to the unfused graph', () => {
    for (const zp of ['uint8', 'int8'] as const) {
      const m = model({ zp });
      expect(m.graph.nodes.map((k) => `${k.domain}.${k.opType}`)).toEqual(['lowbit.GeluErf', '.QuantizeLinear']);
      const r = run(m);
      expect(r.modified).toBe(true);
      expect(verifyErrors(r.model)).toEqual([]);
      expect(r.model.graph.nodes.map((k) => `${k.domain}.${k.opType}`)).toEqual(['lowbit.QGeluErf']);
      const fused = r.model.graph.nodes[0];
      expect(fused.inputs).toEqual(['x', 'ys', 'zp']);
      expect(fused.outputs).toEqual(['y']);
      expect(fused.attributes).toEqual(m.graph.nodes[0].attributes);
      expect(optimizeForSession(m, { level: 'all' }).report.opsAfter).toEqual({ 'lowbit.QGeluErf': 1 });
      const [a, b] = runLevels(m, { x }, ['none', 'all']);
      expect(b.y.dtype).toBe(zp);
      same(b.y, a.y);
    }
  });

  it('does not apply (same object back): float output kept, a graph output or read elsewhere; per-axis scale; no zero point; block_size; a rank guard that prefers GeluErf', () => {
    const m = model();
    expect(run(m, { [OPTIMIZE_OPTIONS_KEY]: { keep: (k: string) => k === 'g' } }).model).toBe(m);
    for (const s of [{ leak: 'output' }, { leak: 'consumer' }, { n: 5 }, { zp: 'none' }, { blockSize: 5 }] as Spec[]) {
      const other = model(s);
      expect(run(other).model).toBe(other);
    }
    expect(run(m, { [OPTIMIZE_OPTIONS_KEY]: { rank: (k: string) => (k === 'lowbit.QGeluErf:f32' ? 0 : 5) } }).model).toBe(m);
  });

  it('running twice changes nothing', () => {
    const once = run(model()).model;
    expect(run(once).model).toBe(once);
  });

  it('property: fused equals unfused for any inputs (js backend, both zero point types)', () => {
    fc.assert(fc.property(fc.array(fc.float({ noNaN: false }), { minLength: 10, maxLength: 10 }), fc.constantFrom('uint8' as const, 'int8' as const), (xs, zp) => {
      const [a, b] = runLevels(model({ zp }), { x: new Tensor('float32', xs, [2, 5]) }, ['none', 'all']);
      same(b.y, a.y);
    }), { numRuns: 60 });
  });

  it('native backend: the fused kernel runs and is bit-identical to GeluErf and QuantizeLinear run natively; within 1 step of the reference', async () => {
    const [native] = await loadBackends('native', { threads: 1 });
    if (!native?.ready) return expect(native?.diagnostics.join(' ')).toMatch(/./);
    const input = new Tensor('float32', Float32Array.from({ length: 4003 }, (_, i) => (i % 97 === 0 ? [NaN, Infinity, -Infinity][i % 3] : Math.sin(i * 0.37) * 7)), [1, 4003]);
    for (const zp of ['uint8', 'int8'] as const) {
      const m = model({ zp }, [1, 4003]);
      const [fused, plain] = (['all', 'none'] as const).map((l) => Session.fromModel(m, { backend: 'native', backends: [native], graphOptimization: l }));
      expect(fused.optimization.opsAfter).toEqual({ 'lowbit.QGeluErf': 1 });
      const yf = fused.runSync({ x: input }).y;
      same(yf, plain.runSync({ x: input }).y);
      const ref = runLevels(m, { x: input }, ['none'])[0].y;
      const d = Array.from(yf.data as ArrayLike<number>, (v, i) => Math.abs(v - Number((ref.data as ArrayLike<number>)[i])));
      expect(Math.max(...d)).toBeLessThanOrEqual(1);
    }
    native.dispose?.();
  });
});
