import { describe, expect, it } from 'vitest';
import { DataType } from '@lowbit/onnx-ir';
import type { Model } from '@lowbit/onnx-ir';
import { floatAttr, intAttr, intsAttr, stringAttr } from './attrs.js';
import { RewriteError } from './errors.js';
import { opsetUpgrade } from './opset-upgrade.js';
import { model, node, randFloats, vi } from './test-support/build.js';
import { expectApplies, expectNoop } from './test-support/laws.js';
import { ortRun } from './test-support/ort.js';
import { makeTensor } from './tensor-data.js';

/** onnxruntime runs the old model at its own opset and the upgraded one at the new opset: outputs must agree. */
async function sameOutputs(before: Model, after: Model, x: Float32Array, dims: number[]): Promise<void> {
  const a = await ortRun(before, { x: { data: x, dims } });
  const b = await ortRun(after, { x: { data: x, dims } });
  for (const k of Object.keys(a)) {
    expect(b[k].length).toBe(a[k].length);
    for (let i = 0; i < a[k].length; i++) expect(b[k][i]).toBeCloseTo(a[k][i], 6);
  }
}

const x234 = randFloats(24, 7, 3);

describe('opset-upgrade', () => {
  it('Clip-7 attributes become inputs at 11 and results match onnxruntime', async () => {
    const m = model({ opset: 7, nodes: [node('Clip', ['x'], ['y'], [floatAttr('min', -1), floatAttr('max', 0.5)])], inputs: [vi('x', [2, 3, 4])], outputs: [vi('y', [2, 3, 4])] });
    const up = await expectApplies(opsetUpgrade({ targetOpset: 13 }), m);
    expect(up.graph.nodes[0].inputs).toHaveLength(3);
    expect(up.opsetImports[0].version).toBe(13);
    await sameOutputs(m, up, x234, [2, 3, 4]);
  });

  it('Softmax-11 on a non-last axis keeps the old coerce-to-2D semantics at 13', async () => {
    const m = model({ opset: 11, nodes: [node('Softmax', ['x'], ['y'], [intAttr('axis', 1)])], inputs: [vi('x', [2, 3, 4])], outputs: [vi('y', [2, 3, 4])] });
    const up = await expectApplies(opsetUpgrade({ targetOpset: 13 }), m);
    expect(up.graph.nodes.map((n) => n.opType)).toEqual(['Shape', 'Flatten', 'Softmax', 'Reshape']);
    await sameOutputs(m, up, x234, [2, 3, 4]);
  });

  it('Softmax on the last axis only gets an explicit axis', async () => {
    const m = model({ opset: 11, nodes: [node('Softmax', ['x'], ['y'], [intAttr('axis', 2)])], inputs: [vi('x', [2, 3, 4])], outputs: [vi('y', [2, 3, 4])] });
    const up = await expectApplies(opsetUpgrade({ targetOpset: 13 }), m);
    expect(up.graph.nodes.map((n) => n.opType)).toEqual(['Softmax']);
    await sameOutputs(m, up, x234, [2, 3, 4]);
  });

  it('Squeeze/Unsqueeze/ReduceMean/Slice/Pad attributes move to inputs (opset 9 -> 18)', async () => {
    const m = model({
      opset: 9,
      nodes: [
        node('Unsqueeze', ['x'], ['u'], [intsAttr('axes', [0])]),
        node('Squeeze', ['u'], ['s'], [intsAttr('axes', [0])]),
        node('Slice', ['s'], ['sl'], [intsAttr('starts', [0, 1]), intsAttr('ends', [2, 3]), intsAttr('axes', [0, 2])]),
        node('Pad', ['sl'], ['p'], [intsAttr('pads', [0, 0, 1, 0, 0, 1]), floatAttr('value', 0.25)]),
        node('ReduceMean', ['p'], ['y'], [intsAttr('axes', [2]), intAttr('keepdims', 0)]),
      ],
      inputs: [vi('x', [2, 3, 4])], outputs: [vi('y', undefined)],
    });
    const up = await expectApplies(opsetUpgrade({ targetOpset: 18 }), m);
    for (const n of up.graph.nodes) expect(n.attributes.filter((a) => a.name === 'axes' || a.name === 'pads' || a.name === 'starts')).toEqual([]);
    await sameOutputs(m, up, x234, [2, 3, 4]);
  });

  it('Split attribute moves to an input at 13', async () => {
    const m = model({ opset: 11, nodes: [node('Split', ['x'], ['a', 'b'], [intAttr('axis', 2), intsAttr('split', [1, 3])])], inputs: [vi('x', [2, 3, 4])], outputs: [vi('a', undefined), vi('b', undefined)] });
    const up = await expectApplies(opsetUpgrade({ targetOpset: 13 }), m);
    expect(up.graph.nodes[0].inputs).toHaveLength(2);
    await sameOutputs(m, up, x234, [2, 3, 4]);
  });

  it('Upsample-9 becomes Resize (nearest, asymmetric, floor) with identical results', async () => {
    const scales = makeTensor('scales', DataType.FLOAT, [4], [1, 1, 2, 3]);
    const m = model({ opset: 9, nodes: [node('Upsample', ['x', 'scales'], ['y'], [stringAttr('mode', 'nearest')])], inputs: [vi('x', [1, 2, 3, 4])], outputs: [vi('y', undefined)], inits: [scales] });
    const up = await expectApplies(opsetUpgrade({ targetOpset: 13 }), m);
    expect(up.graph.nodes[0].opType).toBe('Resize');
    await sameOutputs(m, up, x234, [1, 2, 3, 4]);
  });

  it('Dropout and BatchNormalization lose their removed attributes', async () => {
    const c = 3;
    const inits = [
      makeTensor('sc', DataType.FLOAT, [c], [1, 1.5, -2]), makeTensor('bi', DataType.FLOAT, [c], [0.5, 0, -1]),
      makeTensor('mu', DataType.FLOAT, [c], [0.1, -0.2, 0.3]), makeTensor('va', DataType.FLOAT, [c], [1, 2, 0.5]),
    ];
    const m = model({
      opset: 7,
      nodes: [
        node('Dropout', ['x'], ['d'], [floatAttr('ratio', 0.3)]),
        node('BatchNormalization', ['d', 'sc', 'bi', 'mu', 'va'], ['y'], [intAttr('spatial', 1), floatAttr('epsilon', 1e-3)]),
      ],
      inputs: [vi('x', [2, 3, 4])], outputs: [vi('y', [2, 3, 4])], inits,
    });
    const up = await expectApplies(opsetUpgrade({ targetOpset: 15 }), m);
    expect(up.graph.nodes.flatMap((n) => n.attributes.map((a) => a.name))).toEqual(['epsilon']);
    await sameOutputs(m, up, x234, [2, 3, 4]);
  });

  it('does nothing when the model is already at the target', async () => {
    const m = model({ opset: 13, nodes: [node('Relu', ['x'], ['y'])], inputs: [vi('x', [2])], outputs: [vi('y', [2])] });
    await expectNoop(opsetUpgrade({ targetOpset: 13 }), m);
    await expectNoop(opsetUpgrade({ targetOpset: 11 }), m);
  });

  it('rejects models older than opset 7 with a typed error', async () => {
    const m = model({ opset: 6, nodes: [node('Relu', ['x'], ['y'])], inputs: [vi('x', [2])], outputs: [vi('y', [2])] });
    const pass = opsetUpgrade({ targetOpset: 13 });
    expect(() => pass.requires!(model({ ...{ nodes: [], inputs: [], outputs: [] }, opset: 5 }), {} as never)).toThrow(RewriteError);
    await expect(Promise.resolve().then(() => pass.run({ ...m, opsetImports: [{ domain: '', version: 5 }] }, {} as never))).rejects.toThrow(/opset >= 7/);
  });
});

describe('opset-upgrade int64 limits', () => {
  it('Slice-9 ends = INT64_MAX stays INT64_MAX as an input (not wrapped to INT64_MIN)', async () => {
    const m = model({
      opset: 9,
      nodes: [node('Slice', ['x'], ['y'], [{ name: 'starts', type: 'ints', value: [1n] }, { name: 'ends', type: 'ints', value: [9223372036854775807n] }, intsAttr('axes', [2])])],
      inputs: [vi('x', [2, 3, 4])], outputs: [vi('y', undefined)],
    });
    const up = await expectApplies(opsetUpgrade({ targetOpset: 13 }), m);
    const ends = up.graph.initializers.find((t) => t.name === up.graph.nodes[0].inputs[2])!;
    expect(ends.kind === 'inline' && new BigInt64Array(ends.data.slice().buffer)[0]).toBe(9223372036854775807n);
    await sameOutputs(m, up, x234, [2, 3, 4]);
  });
});

describe('opset-upgrade subgraphs', () => {
  it('converts nodes inside If branches (Clip-7 attributes in both branches)', async () => {
    const branch = (lo: number): import('@lowbit/onnx-ir').Graph => ({
      name: `b${lo}`, inputs: [], outputs: [vi(`o${lo}`, undefined)], initializers: [], sparseInitializers: [], valueInfo: [],
      nodes: [node('Clip', ['x'], [`o${lo}`], [floatAttr('min', lo), floatAttr('max', 1)], `clip${lo}`)],
    });
    const m = model({
      opset: 7,
      nodes: [
        node('ReduceSum', ['x'], ['s'], [intAttr('keepdims', 0)], 'sum'),
        node('Greater', ['s', 'zero'], ['c'], [], 'gt'),
        node('If', ['c'], ['y'], [{ name: 'then_branch', type: 'graph', value: branch(0) }, { name: 'else_branch', type: 'graph', value: branch(-1) }], 'if'),
      ],
      inputs: [vi('x', [2, 3, 4])], outputs: [vi('y', undefined)], inits: [makeTensor('zero', DataType.FLOAT, [], [0])],
    });
    const up = await expectApplies(opsetUpgrade({ targetOpset: 13 }), m);
    const ifNode = up.graph.nodes.find((n) => n.opType === 'If')!;
    for (const a of ifNode.attributes) {
      if (a.type !== 'graph') continue;
      expect(a.value.nodes[0].attributes).toEqual([]);
      expect(a.value.nodes[0].inputs).toHaveLength(3);
    }
    await sameOutputs(m, up, x234, [2, 3, 4]);
    await sameOutputs(m, up, x234.map((v) => -Math.abs(v)), [2, 3, 4]);
  });
});
