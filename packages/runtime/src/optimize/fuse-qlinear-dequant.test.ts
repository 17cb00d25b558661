import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createPassContext, DataType, verifyErrors } from '@lowbit/onnx-ir';
import type { Model, PassResult } from '@lowbit/onnx-ir';
import { mkGraph, mkModel, mkNode } from '@lowbit/testing';
import { Tensor } from '@lowbit/kernels';
import { loadBackends } from '../backend.js';
import { Session } from '../session.js';
import { fuseQLinearMatMulDequantize } from './fuse-qlinear-dequant.js';
import { OPTIMIZE_OPTIONS_KEY } from './support.js';
import { f32, i8, runLevels, tensorVi, u8 } from './test-support/qdq-graphs.js';

const run = (m: Model, options = {}) => fuseQLinearMatMulDequantize.run(m, createPassContext({ options })) as PassResult;

interface Spec {
  M?: number; K: number; N: number; w: number[]; ws: number[]; wz?: number; ys?: number; yz?: number;
  bias?: number[]; biasDims?: number[]; swap?: boolean;
  /** The DequantizeLinear reads its own copies of y_scale / y_zero_point (equal values, other names). */
  copies?: boolean; dqScale?: number;
  leak?: string;
}

/** a (uint8) -> QLinearMatMul(W int8) -> DequantizeLinear [-> Add(bias)]. */
function model(s: Spec): Model {
  const M = s.M ?? 3;
  const inits = [
    f32('as', [], [0.02]), u8('az', [], [128]), i8('w', [s.K, s.N], s.w), f32('ws', s.ws.length > 1 ? [s.N] : [], s.ws), i8('wz', [], [s.wz ?? 0]),
    f32('ys', [], [s.ys ?? 0.05]), u8('yz', [], [s.yz ?? 120]),
  ];
  if (s.copies) inits.push(f32('ys2', [], [s.dqScale ?? s.ys ?? 0.05]), u8('yz2', [], [s.yz ?? 120]));
  const nodes = [
    mkNode('QLinearMatMul', ['a', 'as', 'az', 'w', 'ws', 'wz', 'ys', 'yz'], ['q'], { name: 'qmm' }),
    mkNode('DequantizeLinear', s.copies ? ['q', 'ys2', 'yz2'] : ['q', 'ys', 'yz'], [s.bias ? 'd' : 'y'], { name: 'dq' }),
  ];
  if (s.bias) {
    inits.push(f32('b', s.biasDims ?? [s.bias.length], s.bias));
    nodes.push(mkNode('Add', s.swap ? ['b', 'd'] : ['d', 'b'], ['y'], { name: 'bias' }));
  }
  return mkModel(mkGraph({ inputs: [tensorVi('a', DataType.UINT8, [M, s.K])], outputs: ['y', ...(s.leak ? [s.leak] : [])], initializers: inits, nodes }), { opset: 13 });
}

const seq = (n: number, seed: number, lo: number, span: number) => Array.from({ length: n }, (_, i) => lo + ((seed + i * 7919) % span));
const base: Spec = { K: 4, N: 3, w: seq(12, 5, -128, 256), ws: [0.01, 0.03, 0.02], bias: [0.5, -0.25, 1.75] };
const a = new Tensor('uint8', seq(12, 11, 0, 256), [3, 4]);
const bits = (t: Tensor) => Array.from(new Uint32Array(Float32Array.from(t.data as Float32Array).buffer));

describe('fuse-qlinear-matmul-dequantize', () => {
  it('applies: QLinearMatMul -> DequantizeLinear -> Add(bias) becomes one lowbit.QLinearMatMulToFloat; verifies; bit-identical', () => {
    for (const s of [base, { ...base, swap: true }, { ...base, bias: [0.125] }, { ...base, bias: undefined }, { ...base, copies: true }, { ...base, ws: [0.02] }]) {
      const m = model(s);
      const r = run(m);
      expect(r.modified).toBe(true);
      expect(verifyErrors(r.model)).toEqual([]);
      expect(r.model.graph.nodes.map((n) => `${n.domain}.${n.opType}`)).toEqual(['lowbit.QLinearMatMulToFloat']);
      expect(r.model.graph.nodes[0].inputs).toEqual(['a', 'as', 'az', 'w', 'ws', 'wz', 'ys', 'yz', ...(s.bias ? ['b'] : [])]);
      expect(r.model.opsetImports).toContainEqual({ domain: 'lowbit', version: 1 });
      const [x, y] = runLevels(m, { a }, ['none', 'all']);
      expect(bits(y.y)).toEqual(bits(x.y));
    }
  });

  it('leaves the Add when the bias does not broadcast along the last axis only, and fuses the rest', () => {
    const m = model({ ...base, bias: [1, 2, 3, 4, 5, 6, 7, 8, 9], biasDims: [3, 3] });
    const r = run(m);
    expect(r.model.graph.nodes.map((n) => n.opType)).toEqual(['QLinearMatMulToFloat', 'Add']);
    const [x, y] = runLevels(m, { a }, ['none', 'all']);
    expect(bits(y.y)).toEqual(bits(x.y));
  });

  it('does not apply (same object back): other dequantization parameters, a kept or escaping intermediate, a rank guard that prefers QLinearMatMul', () => {
    const other = model({ ...base, copies: true, dqScale: 0.07 });
    expect(run(other).model).toBe(other);
    const m = model(base);
    expect(run(m, { [OPTIMIZE_OPTIONS_KEY]: { keep: (n: string) => n === 'q' } }).model).toBe(m);
    const leaky = model({ ...base, leak: 'q' });
    expect(run(leaky).model).toBe(leaky);
    expect(run(m, { [OPTIMIZE_OPTIONS_KEY]: { rank: (k: string) => (k.startsWith('QLinearMatMul') ? 9 : 0) } }).model).toBe(m);
  });

  it('running twice changes nothing', () => {
    const once = run(model(base)).model;
    expect(run(once).model).toBe(once);
  });

  it('property: fused and unfused are bit-identical (js backend)', () => {
    const arb = fc.record({
      K: fc.integer({ min: 1, max: 6 }), N: fc.integer({ min: 1, max: 5 }), seed: fc.integer({ min: 0, max: 1e6 }),
      perColumn: fc.boolean(), withBias: fc.boolean(), ys: fc.double({ min: 0.001, max: 0.5, noNaN: true }), yz: fc.integer({ min: 0, max: 255 }),
    });
    fc.assert(fc.property(arb, ({ K, N, seed, perColumn, withBias, ys, yz }) => {
      const s: Spec = {
        K, N, w: seq(K * N, seed, -128, 256), ws: Array.from({ length: perColumn ? N : 1 }, (_, j) => 0.001 * (1 + ((seed + j) % 17))),
        ys: Math.fround(ys), yz, ...(withBias ? { bias: Array.from({ length: N }, (_, j) => Math.sin(seed + j) * 3) } : {}),
      };
      const m = model(s);
      const x = new Tensor('uint8', seq(3 * K, seed + 3, 0, 256), [3, K]);
      const [p, q] = runLevels(m, { a: x }, ['none', 'all']);
      expect(bits(q.y)).toEqual(bits(p.y));
    }), { numRuns: 80 });
  });

  it('native backend: the fused kernel runs natively and is bit-identical to the unfused nodes', async () => {
    const [native] = await loadBackends('native', { threads: 1 });
    if (!native?.ready) return expect(native?.diagnostics.join(' ')).toMatch(/./);
    const K = 70, N = 37, M = 9;
    for (const bias of [Array.from({ length: N }, (_, j) => Math.cos(j) * 2), [0.75], undefined]) {
      const s: Spec = { M, K, N, w: seq(K * N, 3, -128, 256), ws: Array.from({ length: N }, (_, j) => 0.0005 * (1 + (j % 7))), ys: 0.03, yz: 110, ...(bias ? { bias } : {}) };
      const m = model(s);
      const x = new Tensor('uint8', seq(M * K, 17, 0, 256), [M, K]);
      const [fused, plain] = (['all', 'none'] as const).map((l) => Session.fromModel(m, { backend: 'native', backends: [native], graphOptimization: l }));
      expect(fused.optimization.opsAfter).toEqual({ 'lowbit.QLinearMatMulToFloat': 1 });
      expect(bits(fused.runSync({ a: x }).y)).toEqual(bits(plain.runSync({ a: x }).y));
    }
    native.dispose?.();
  });
});
