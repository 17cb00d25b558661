import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createPassContext, DataType, verifyErrors } from '@lowbit/onnx-ir';
import type { Model, PassResult } from '@lowbit/onnx-ir';
import { mkGraph, mkModel, mkNode } from '@lowbit/testing';
import { Tensor } from '@lowbit/kernels';
import { foldBatchNorm } from './fold-batchnorm.js';
import { f32, intsAttr, runLevels, tensorVi } from './test-support/qdq-graphs.js';

const run = (m: Model) => foldBatchNorm.run(m, createPassContext()) as PassResult;

interface Bn { gamma: number[]; beta: number[]; mean: number[]; vr: number[] }

/** x [1,C,H,W] -> Conv(W [M,C,3,3] (+B)) -> BN -> y, or x -> BN -> y when `w` is omitted. */
function model(C: number, M: number, bn: Bn, w?: number[], b?: number[], eps = 1e-5): Model {
  const inits = [f32('g', [M], bn.gamma), f32('be', [M], bn.beta), f32('mu', [M], bn.mean), f32('v', [M], bn.vr)];
  const nodes = [];
  let x = 'x';
  if (w) {
    inits.push(f32('w', [M, C, 3, 3], w));
    if (b) inits.push(f32('b', [M], b));
    nodes.push(mkNode('Conv', ['x', 'w', ...(b ? ['b'] : [])], ['c'], { name: 'conv', attributes: [intsAttr('pads', [1, 1, 1, 1])] }));
    x = 'c';
  }
  nodes.push(mkNode('BatchNormalization', [x, 'g', 'be', 'mu', 'v'], ['y'], { name: 'bn', attributes: [{ name: 'epsilon', type: 'float', value: eps }] }));
  return mkModel(mkGraph({ inputs: [tensorVi('x', DataType.FLOAT, [1, C, 4, 4])], outputs: ['y'], initializers: inits, nodes }), { opset: 15 });
}

const bn2: Bn = { gamma: [2, 0.5], beta: [0.5, -1], mean: [1, -0.25], vr: [3, 0.1] };
const weights = (C: number, M: number, seed = 1) => Array.from({ length: M * C * 9 }, (_, i) => Math.sin(i * 1.3 + seed) * 0.7);
const input = (C: number, seed = 0) => new Tensor('float32', Float32Array.from({ length: C * 16 }, (_, i) => Math.cos(i * 0.37 + seed) * 3), [1, C, 4, 4]);

function closeEnough(a: Tensor, b: Tensor, scale: number): void {
  const x = a.data as Float32Array, y = b.data as Float32Array;
  for (let i = 0; i < x.length; i++) expect(Math.abs(x[i] - y[i])).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(x[i])) + 1e-6 * scale);
}

describe('fold-batchnorm', () => {
  it('applies: Conv -> BN becomes one Conv with folded weight and bias; verifies; matches within float tolerance', () => {
    const m = model(3, 2, bn2, weights(3, 2), [0.1, -0.2]);
    const r = run(m);
    expect(r.modified).toBe(true);
    expect(verifyErrors(r.model)).toEqual([]);
    expect(r.model.graph.nodes.map((n) => n.opType)).toEqual(['Conv']);
    expect(r.model.graph.nodes[0].outputs).toEqual(['y']);
    const [a, b] = runLevels(m, { x: input(3) }, ['none', 'all']);
    closeEnough(a.y, b.y, 10);
  });

  it('applies without a Conv: BN becomes Mul -> Add with [C, 1, 1] constants (rank from the declared input shape)', () => {
    const m = model(2, 2, bn2);
    const r = run(m);
    expect(r.model.graph.nodes.map((n) => n.opType)).toEqual(['Mul', 'Add']);
    expect(verifyErrors(r.model)).toEqual([]);
    const [a, b] = runLevels(m, { x: input(2) }, ['none', 'all']);
    closeEnough(a.y, b.y, 10);
  });

  it('does not apply (same object back): non-constant statistics, training mode, Conv output read elsewhere is folded as Mul/Add only', () => {
    const m = model(2, 2, bn2, weights(2, 2));
    const dynamic: Model = { ...m, graph: { ...m.graph, inputs: [...m.graph.inputs, tensorVi('mu', DataType.FLOAT, [2])] } };
    expect(run(dynamic).model).toBe(dynamic);
    const training: Model = { ...m, graph: { ...m.graph, nodes: m.graph.nodes.map((n) => (n.opType === 'BatchNormalization' ? { ...n, attributes: [...n.attributes, { name: 'training_mode', type: 'int', value: 1n }] } : n)) } };
    expect(run(training).model).toBe(training);
    const shared: Model = { ...m, graph: { ...m.graph, outputs: [...m.graph.outputs, { name: 'c', type: undefined }] } };
    expect(run(shared).model.graph.nodes.map((n) => n.opType)).toEqual(['Conv', 'Mul', 'Add']);
  });

  it('running twice changes nothing', () => {
    const once = run(model(3, 2, bn2, weights(3, 2))).model;
    expect(run(once).model).toBe(once);
  });

  it('property: conv + bn == folded conv within float32 tolerance', () => {
    const pos = fc.float({ min: Math.fround(0.01), max: Math.fround(10), noNaN: true });
    const any = fc.float({ min: -5, max: 5, noNaN: true });
    fc.assert(fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.array(any, { minLength: 3, maxLength: 3 }), fc.array(pos, { minLength: 3, maxLength: 3 }), fc.array(any, { minLength: 3, maxLength: 3 }), fc.array(any, { minLength: 3, maxLength: 3 }), fc.boolean(), fc.integer({ min: 0, max: 99 }),
      (C, M, gamma, vr, beta, mean, bias, seed) => {
        const bn = { gamma: gamma.slice(0, M), beta: beta.slice(0, M), mean: mean.slice(0, M), vr: vr.slice(0, M) };
        const m = model(C, M, bn, weights(C, M, seed), bias ? mean.slice(0, M).map((v) => v / 3) : undefined);
        const [a, b] = runLevels(m, { x: input(C, seed) }, ['none', 'all']);
        // the reference rounds (x - mean)/den, then * gamma; the folded conv scales each tap: a few ulps of the taps' sum
        const taps = 9 * C * 3 * 0.7 * Math.max(...bn.gamma.map((g, i) => Math.abs(g) / Math.sqrt(bn.vr[i]))) + Math.max(...bn.beta.map(Math.abs), ...bn.mean.map(Math.abs));
        closeEnough(a.y, b.y, taps);
      }), { numRuns: 60 });
  });
});
