import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createPassContext, DataType, tensorFromValues, verifyErrors } from '@lowbit/onnx-ir';
import type { Model, PassResult } from '@lowbit/onnx-ir';
import { mkGraph, mkModel, mkNode } from '@lowbit/testing';
import { Tensor } from '@lowbit/kernels';
import { forwardSliceConcat } from './forward-slice-concat.js';
import { OPTIMIZE_OPTIONS_KEY } from './support.js';
import { intAttr, intsAttr, runLevels, tensorVi } from './test-support/qdq-graphs.js';

const run = (m: Model, options = {}) => forwardSliceConcat.run(m, createPassContext({ options })) as PassResult;
const i64 = (name: string, v: readonly (number | bigint)[]) => tensorFromValues(name, DataType.INT64, [v.length], BigInt64Array.from(v.map(BigInt)));
const INT64_MAX = 2n ** 63n - 1n;

interface SliceSpec { readonly starts: readonly (number | bigint)[]; readonly ends: readonly (number | bigint)[]; readonly axes?: readonly number[]; readonly steps?: readonly number[] }

/** a_k [2, d_k, 3] (float inputs) -> Concat(axis) -> one Slice per spec -> s_j -> Neg -> y_j; opset 13 (inputs) or 9 (attributes); `leak`: s_0 is a graph output too. */
function model(sizes: readonly number[], axis: number, slices: readonly SliceSpec[], o: { opset?: number; leak?: boolean } = {}): Model {
  const dims = (d: number) => { const r = [2, 3]; r.splice(axis < 0 ? axis + 3 : axis, 0, d); return r; };
  const opset = o.opset ?? 13;
  const inits = opset >= 10 ? slices.flatMap((s, j) => [i64(`b${j}`, s.starts), i64(`e${j}`, s.ends), ...(s.axes ? [i64(`ax${j}`, s.axes)] : []), ...(s.steps ? [i64(`t${j}`, s.steps)] : [])]) : [];
  const nodes = [mkNode('Concat', sizes.map((_, k) => `a${k}`), ['cat'], { name: 'cat', attributes: [intAttr('axis', axis)] })];
  slices.forEach((s, j) => {
    if (opset >= 10) {
      const ins = [`cat`, `b${j}`, `e${j}`, s.axes ? `ax${j}` : '', s.steps ? `t${j}` : ''];
      while (ins[ins.length - 1] === '') ins.pop();
      nodes.push(mkNode('Slice', ins, [`s${j}`], { name: `slice${j}` }));
    } else {
      nodes.push(mkNode('Slice', ['cat'], [`s${j}`], { name: `slice${j}`, attributes: [{ name: 'starts', type: 'ints', value: s.starts.map(BigInt) }, { name: 'ends', type: 'ints', value: s.ends.map(BigInt) }, ...(s.axes ? [intsAttr('axes', s.axes)] : [])] }));
    }
    nodes.push(mkNode('Neg', [`s${j}`], [`y${j}`], { name: `neg${j}` }));
  });
  const outputs = slices.map((_, j) => ({ name: `y${j}`, type: { kind: 'tensor' as const, elemType: DataType.FLOAT, shape: undefined } }));
  return mkModel(mkGraph({ inputs: sizes.map((d, k) => tensorVi(`a${k}`, DataType.FLOAT, dims(d))), outputs: [...outputs, ...(o.leak ? [{ name: 's0', type: { kind: 'tensor' as const, elemType: DataType.FLOAT, shape: undefined } }] : [])], initializers: inits, nodes }), { opset });
}

function feeds(sizes: readonly number[], axis: number): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  sizes.forEach((d, k) => {
    const dims = [2, 3];
    dims.splice(axis < 0 ? axis + 3 : axis, 0, d);
    const n = dims.reduce((a, b) => a * b, 1);
    out[`a${k}`] = new Tensor('float32', Float32Array.from({ length: n }, (_, i) => i + 100 * k + 0.5), dims);
  });
  return out;
}

const sameOutputs = (a: Record<string, Tensor>, b: Record<string, Tensor>) => {
  for (const k of Object.keys(a)) {
    expect(b[k].dims, k).toEqual(a[k].dims);
    expect(Array.from(b[k].data as Float32Array), k).toEqual(Array.from(a[k].data as Float32Array));
  }
};

describe('forward-slice-concat', () => {
  it('forwards exactly the slices that take back one input (ultraface boxes: [0:2] and [2:INT64_MAX] on the last axis)', () => {
    const m = model([2, 2], 2, [{ starts: [0], ends: [2], axes: [2] }, { starts: [2], ends: [INT64_MAX], axes: [-1] }, { starts: [1], ends: [3], axes: [2] }]);
    const r = run(m);
    expect(r.modified).toBe(true);
    expect(verifyErrors(r.model)).toEqual([]);
    expect(r.model.graph.nodes.map((n) => n.name)).toEqual(['cat', 'neg0', 'neg1', 'slice2', 'neg2']);
    expect(r.model.graph.nodes[1].inputs).toEqual(['a0']);
    const f = feeds([2, 2], 2);
    const [a, b] = runLevels(m, f, ['none', 'all']);
    sameOutputs(a, b);
    // y0 and y1 are the inputs themselves
    expect(Array.from(b.y1.data as Float32Array)).toEqual(Array.from(f.a1.data as Float32Array, (v) => -v));
  });

  it('opset 9 attributes, negative bounds and a middle input', () => {
    const m = model([1, 3, 2], 1, [{ starts: [1], ends: [4], axes: [1] }, { starts: [4], ends: [INT64_MAX], axes: [1] }], { opset: 9 });
    const r = run(m);
    expect(r.model.graph.nodes.map((n) => n.opType)).toEqual(['Concat', 'Neg', 'Neg']);
    sameOutputs(...(runLevels(m, feeds([1, 3, 2], 1), ['none', 'all']) as [Record<string, Tensor>, Record<string, Tensor>]));
    const neg = model([1, 3, 2], 1, [{ starts: [-2], ends: [6], axes: [1] }]);
    expect(run(neg).model.graph.nodes.map((n) => n.opType)).toEqual(['Concat', 'Neg']);
    sameOutputs(...(runLevels(neg, feeds([1, 3, 2], 1), ['none', 'all']) as [Record<string, Tensor>, Record<string, Tensor>]));
  });

  it('leaves other axes, steps, several axes, empty inputs, graph outputs and kept slices alone (identity rule)', () => {
    const cases = [
      model([2, 2], 2, [{ starts: [0], ends: [2], axes: [1] }]),
      model([2, 2], 2, [{ starts: [0], ends: [2], axes: [2], steps: [2] }]),
      model([2, 2], 2, [{ starts: [0, 0], ends: [2, 2], axes: [2, 0] }]),
      model([0, 2], 2, [{ starts: [0], ends: [0], axes: [2] }]),
    ];
    for (const m of cases) expect(run(m).model).toBe(m);
    const kept = model([2, 2], 2, [{ starts: [0], ends: [2], axes: [2] }]);
    expect(run(kept, { [OPTIMIZE_OPTIONS_KEY]: { keep: (n: string) => n === 's0' } }).model).toBe(kept);
    const leaked = model([2, 2], 2, [{ starts: [0], ends: [2], axes: [2] }], { leak: true });
    expect(run(leaked).model).toBe(leaked);
    // explicit unit steps are forwarded
    const steps1 = model([2, 2], 2, [{ starts: [0], ends: [2], axes: [2], steps: [1] }]);
    expect(run(steps1).modified).toBe(true);
  });

  it('law: any step-1 slice along the Concat axis gives the same outputs, forwarded or not', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: -3, max: 2 }), fc.integer({ min: -8, max: 8 }), fc.integer({ min: -8, max: 8 }), (sizes, axis, b, e) => {
      const m = model(sizes, axis, [{ starts: [b], ends: [e], axes: [axis] }]);
      sameOutputs(...(runLevels(m, feeds(sizes, axis), ['none', 'all']) as [Record<string, Tensor>, Record<string, Tensor>]));
    }), { numRuns: 80 });
  });
});
