import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { DataType } from '@lowbit/onnx-ir';
import type { Node, TensorRef } from '@lowbit/onnx-ir';
import { intsAttr } from './attrs.js';
import { constantFolding, type ConstantEvaluator } from './constant-folding.js';
import { RewriteError } from './errors.js';
import { model, node, vi } from './test-support/build.js';
import { expectApplies, expectNoop } from './test-support/laws.js';
import { makeTensor, tensorNumbers } from './tensor-data.js';
import { encodeModel } from '@lowbit/onnx-ir';

const f = (name: string, dims: number[], v: ArrayLike<number>) => makeTensor(name, DataType.FLOAT, dims, v);
const values = (m: { graph: { initializers: readonly TensorRef[] } }, name: string) => Array.from(tensorNumbers(m.graph.initializers.find((t) => t.name === name)!));

/** A test evaluator backed by onnxruntime-node: the node alone in a one-node model at the node's own opset. */
const ortEvaluator: ConstantEvaluator = async (n: Node, inputs, { opset }) => {
  const ins = inputs.filter((t): t is TensorRef => t !== null);
  const m = model({ nodes: [{ ...n }], inputs: [], outputs: n.outputs.map((o) => vi(o!, undefined)), inits: ins, opset });
  const s = await ort.InferenceSession.create(encodeModel(m), { executionProviders: ['cpu'] });
  const r = await s.run({});
  return n.outputs.map((o) => f(o!, [...r[o!].dims], r[o!].data as Float32Array));
};

describe('constant-folding', () => {
  it('turns Constant nodes into initializers and folds Reshape/Transpose/Unsqueeze of constants byte for byte', async () => {
    const m = model({
      nodes: [
        { ...node('Constant', [], ['shape']), attributes: [{ name: 'value', type: 'tensor', value: makeTensor('v', DataType.INT64, [2], [3, 2]) }] },
        node('Reshape', ['w', 'shape'], ['w2']),
        node('Transpose', ['w2'], ['w3'], [intsAttr('perm', [1, 0])]),
        node('Unsqueeze', ['w3', 'ax'], ['w4']),
        node('Add', ['x', 'w4'], ['y']),
      ],
      inputs: [vi('x', [1, 2, 3])], outputs: [vi('y', [1, 2, 3])],
      inits: [f('w', [6], [0, 1, 2, 3, 4, 5]), makeTensor('ax', DataType.INT64, [1], [0])],
    });
    const out = await expectApplies(constantFolding(), m);
    expect(out.graph.nodes.map((n) => n.opType)).toEqual(['Add']);
    // reshape [6]->[3,2] = [[0,1],[2,3],[4,5]]; transpose -> [[0,2,4],[1,3,5]]; unsqueeze -> [1,2,3]
    const w4 = out.graph.initializers.find((t) => t.name === 'w4')!;
    expect(w4.dims).toEqual([1, 2, 3]);
    expect(values(out, 'w4')).toEqual([0, 2, 4, 1, 3, 5]);
  });

  it('folds arithmetic only with an injected evaluator', async () => {
    const m = model({
      nodes: [node('Mul', ['a', 'b'], ['c']), node('Add', ['x', 'c'], ['y'])],
      inputs: [vi('x', [2])], outputs: [vi('y', [2])], inits: [f('a', [2], [1.5, -2]), f('b', [2], [2, 3])],
    });
    await expectNoop(constantFolding(), m);
    const out = await expectApplies(constantFolding({ evaluator: ortEvaluator }), m);
    expect(values(out, 'c')).toEqual([3, -6]);
  });

  it('tells the evaluator the node\'s own opset: ReduceMean(axes=[1]) at opset 13 reduces rows, not everything', async () => {
    const seen: number[] = [];
    const spy: ConstantEvaluator = (n, inputs, ctx) => { seen.push(ctx.opset); return ortEvaluator(n, inputs, ctx); };
    const m = model({
      opset: 13,
      nodes: [node('ReduceMean', ['b'], ['c'], [intsAttr('axes', [1]), { name: 'keepdims', type: 'int', value: 0n }]), node('Add', ['x', 'c'], ['y'])],
      inputs: [vi('x', [2])], outputs: [vi('y', [2])], inits: [f('b', [2, 2], [1, 3, 10, 30])],
    });
    const out = await expectApplies(constantFolding({ evaluator: spy }), m);
    expect(seen).toEqual([13]);
    expect(values(out, 'c')).toEqual([2, 20]);
  });

  it('wraps evaluator failures in a RewriteError naming the node', async () => {
    const m = model({ nodes: [node('Mul', ['a', 'b'], ['c'], [], 'mul1'), node('Add', ['x', 'c'], ['y'])], inputs: [vi('x', [1])], outputs: [vi('y', [1])], inits: [f('a', [1], [1]), f('b', [1], [2])] });
    const bad: ConstantEvaluator = () => { throw new Error('boom'); };
    await expect(Promise.resolve(constantFolding({ evaluator: bad }).run(m, {} as never))).rejects.toThrow(RewriteError);
    await expect(Promise.resolve(constantFolding({ evaluator: bad }).run(m, {} as never))).rejects.toThrow(/mul1/);
  });

  it('never folds values that are graph outputs or nodes reading graph inputs', async () => {
    const m = model({ nodes: [node('Identity', ['w'], ['y']), node('Relu', ['x'], ['z'])], inputs: [vi('x', [1])], outputs: [vi('y', [1]), vi('z', [1])], inits: [f('w', [1], [1])] });
    await expectNoop(constantFolding(), m);
  });
});
