import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createPassContext, DataType, verifyErrors } from '@lowbit/onnx-ir';
import type { Model, PassResult } from '@lowbit/onnx-ir';
import { mkGraph, mkModel, mkNode } from '@lowbit/testing';
import { Tensor } from '@lowbit/kernels';
import { foldConstantDequantize } from './fold-dequantize.js';
import { OPTIMIZE_OPTIONS_KEY } from './support.js';
import { f32, i8, intAttr, runLevels, tensorVi } from './test-support/qdq-graphs.js';

const run = (m: Model, options = {}) => foldConstantDequantize.run(m, createPassContext({ options })) as PassResult;

/** x [2,3] @ DQ(w int8 [3,2], per-column scales) -> y */
function model(w: number[], scales: number[], zps: number[]): Model {
  return mkModel(mkGraph({
    inputs: [tensorVi('x', DataType.FLOAT, [2, 3])], outputs: ['y'],
    initializers: [i8('wq', [3, 2], w), f32('ws', [2], scales), i8('wz', [2], zps)],
    nodes: [mkNode('DequantizeLinear', ['wq', 'ws', 'wz'], ['wd'], { name: 'dq', attributes: [intAttr('axis', 1)] }), mkNode('MatMul', ['x', 'wd'], ['y'], { name: 'mm' })],
  }), { opset: 13 });
}

const x = new Tensor('float32', [0.5, -1, 2, 3, 0.25, -0.125], [2, 3]);

describe('fold-constant-dequantize', () => {
  it('applies: DQ(initializer) becomes a float initializer with the DQ output name; bit-identical results', () => {
    const m = model([1, -2, 3, 127, -128, 0], [0.1, 0.03], [0, 1]);
    const r = run(m);
    expect(r.modified).toBe(true);
    expect(verifyErrors(r.model)).toEqual([]);
    expect(r.model.graph.nodes.map((n) => n.opType)).toEqual(['MatMul']);
    expect(r.model.graph.initializers.find((t) => t.name === 'wd')?.dtype).toBe(1);
    const [a, b] = runLevels(m, { x }, ['none', 'basic']);
    expect(Array.from(b.y.data as Float32Array)).toEqual(Array.from(a.y.data as Float32Array));
  });

  it('does not apply (same object back): DQ of a graph input, a kept DQ output, a DQ output that is a graph output', () => {
    const act = mkModel(mkGraph({ inputs: ['q'], outputs: ['y'], initializers: [f32('s', [], [0.5])], nodes: [mkNode('DequantizeLinear', ['q', 's'], ['y'])] }));
    expect(run(act).model).toBe(act);
    const m = model([1, 2, 3, 4, 5, 6], [1, 1], [0, 0]);
    expect(run(m, { [OPTIMIZE_OPTIONS_KEY]: { keep: (n: string) => n === 'wd' } }).model).toBe(m);
    const out: Model = { ...m, graph: { ...m.graph, outputs: [...m.graph.outputs, { name: 'wd', type: undefined }] } };
    expect(run(out).model).toBe(out);
  });

  it('running twice changes nothing', () => {
    const once = run(model([1, 2, 3, 4, 5, 6], [0.5, 0.25], [0, 0])).model;
    expect(run(once).model).toBe(once);
  });

  it('property: folded and per-run dequantization give bit-identical results', () => {
    fc.assert(fc.property(
      fc.array(fc.integer({ min: -128, max: 127 }), { minLength: 6, maxLength: 6 }),
      fc.array(fc.float({ min: Math.fround(1e-6), max: Math.fround(1e3), noNaN: true }), { minLength: 2, maxLength: 2 }),
      fc.array(fc.integer({ min: -128, max: 127 }), { minLength: 2, maxLength: 2 }),
      (w, s, z) => {
        const m = model(w, s, z);
        const [a, b] = runLevels(m, { x }, ['none', 'basic']);
        expect(Array.from(b.y.data as Float32Array)).toEqual(Array.from(a.y.data as Float32Array));
      }), { numRuns: 50 });
  });
});
