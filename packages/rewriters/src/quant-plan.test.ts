import { describe, expect, it } from 'vitest';
import { DataType } from '@lowbit/onnx-ir';
import { intsAttr } from './attrs.js';
import { insertQdq, staticQuantTargets } from './insert-qdq.js';
import { planQuantization } from './quant-plan.js';
import { model, node, randFloats, vi } from './test-support/build.js';
import { convNet } from './test-support/small-models.js';
import { makeTensor } from './tensor-data.js';

describe('planQuantization', () => {
  it('conv net: one compute step per quantized op with its requests, weight and bias; a share step per shape op', () => {
    const plan = planQuantization(convNet(), { perChannel: true, nodeOverrides: { fc: { activationType: 'int8', weightType: 'uint8' } } });
    expect(plan.steps.map((s) => `${s.kind}:${s.node}`)).toEqual(['compute:conv', 'share:pool', 'share:flatten', 'compute:fc']);
    const [conv, , , fc] = plan.steps;
    expect(conv).toMatchObject({ inputs: [{ tensor: 'x', dtype: 'uint8', scheme: 'asymmetric', required: true }], output: { tensor: 'r', required: false }, weight: { tensor: 'w', dtype: 'int8', scheme: 'symmetric', axis: 0 }, bias: 'b' });
    expect(fc).toMatchObject({ inputs: [{ tensor: 'f', dtype: 'int8' }], weight: { tensor: 'w2', dtype: 'uint8', axis: 1 } });
    expect(fc.kind === 'compute' && fc.output).toBe(undefined); // y is a graph output nobody reads
    expect(plan.targets).toEqual(['x', 'r', 'f']);
    expect(plan.excluded).toEqual([]);
  });

  it('staticQuantTargets is the plan\'s targets, with and without the consumed-outputs policy', () => {
    const m = convNet();
    expect(staticQuantTargets(m)).toEqual([...planQuantization(m).targets]);
    expect(staticQuantTargets(m, {}, 'consumed')).toEqual([...planQuantization(m, { outputs: 'consumed' }).targets]);
    expect(staticQuantTargets(m, {}, 'consumed')).toEqual(['x', 'r', 'f']); // r feeds MaxPool: kept
  });

  it('says why a node stays float, and a Conv whose weight is computed is neither calibrated nor quantized', async () => {
    // x -> Conv(w = Relu(k)) -> c;  x -> Conv(w2) excluded by name -> d; MaxPool on d (its input is float: no step)
    const m = model({
      nodes: [
        node('Relu', ['k'], ['wk'], [], 'wrelu'),
        node('Conv', ['x', 'wk'], ['c'], [], 'conv_dyn'),
        node('Conv', ['x', 'w2'], ['d'], [], 'conv_ex'),
        node('MaxPool', ['d'], ['p'], [intsAttr('kernel_shape', [1, 1])], 'pool'),
        node('Add', ['c', 'p'], ['y'], [], 'add'),
      ],
      inputs: [vi('x', [1, 2, 3, 3]), vi('k', [2, 2, 1, 1])],
      outputs: [vi('y', [1, 2, 3, 3])],
      inits: [makeTensor('w2', DataType.FLOAT, [2, 2, 1, 1], randFloats(4, 1))],
    });
    const plan = planQuantization(m, { excludeNodes: ['conv_ex'] });
    expect(plan.steps).toEqual([]);
    expect(plan.targets).toEqual([]);
    expect(plan.excluded).toEqual([
      { node: 'conv_dyn', opType: 'Conv', reason: 'input 1 (weight) is not a constant' },
      { node: 'conv_ex', opType: 'Conv', reason: 'not selected (domain, includeNodes or excludeNodes)' },
    ]);
    // the emission agrees: nothing to do, the same model back
    expect((await insertQdq({ ranges: new Map(), excludeNodes: ['conv_ex'] }).run(m, undefined as never)).model).toBe(m);
  });

  it('MaxPool on a 16-bit activation is excluded with the reason; tensor overrides reach the requests', () => {
    const m = convNet(21);
    const plan = planQuantization(m, { activationType: 'uint16', tensorOverrides: { x: { scale: 0.5, zeroPoint: 3 }, r: { range: { min: 0, max: 4 } } } });
    expect(plan.excluded).toEqual([{ node: 'pool', opType: 'MaxPool', reason: 'MaxPool runs on 8-bit integers at opset 12+ only (uint16, opset 21)' }]);
    expect(plan.steps[0]).toMatchObject({ inputs: [{ tensor: 'x', fixed: { scale: 0.5, zeroPoint: 3 } }], output: { tensor: 'r', range: { min: 0, max: 4 } } });
    // the flatten's input p is then float: no share step for it either, and the MatMul asks for f itself
    expect(plan.steps.map((s) => s.node)).toEqual(['conv', 'fc']);
    expect(plan.targets).toEqual(['x', 'r', 'f']);
  });
});
