import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { testdataPath } from '@lowbit/testing';
import { DataType, NodeError, createPassContext, decodeModel, encodeModel } from '@lowbit/onnx-ir';
import type { Model } from '@lowbit/onnx-ir';
import { intsAttr } from './attrs.js';
import { constantFolding } from './constant-folding.js';
import { initializersNotInputs } from './initializer-inputs.js';
import { shapeInference } from './shape-inference.js';
import { model, node, vi } from './test-support/build.js';
import { expectApplies, expectNoop } from './test-support/laws.js';
import { makeTensor } from './tensor-data.js';

/** Every inferred numeric dim must equal the dim onnxruntime reports when the value is made a graph output. */
async function checkAgainstOrt(m: Model, feeds: Record<string, ort.Tensor>): Promise<number> {
  const inferred = (await shapeInference().run(m, createPassContext())).model;
  const added = inferred.graph.valueInfo.filter((v) => !m.graph.valueInfo.some((w) => w.name === v.name));
  const probe: Model = { ...inferred, graph: { ...inferred.graph, outputs: [...inferred.graph.outputs, ...added] } };
  const s = await ort.InferenceSession.create(encodeModel(probe), { executionProviders: ['cpu'] });
  const r = await s.run(feeds);
  let checked = 0;
  for (const v of added) {
    const t = v.type!;
    if (t.kind !== 'tensor' || !t.shape) continue;
    expect(r[v.name].dims.length, v.name).toBe(t.shape.length);
    t.shape.forEach((d, i) => {
      if (typeof d === 'number') { expect(r[v.name].dims[i], `${v.name}[${i}]`).toBe(d); checked++; }
    });
  }
  await s.release();
  return checked;
}

describe('shape-inference', () => {
  it('hand-checked: Conv 5x5 pad 0 on 28x28 -> 24x24, MaxPool 2/2 -> 12x12, Flatten -> [1, 1152]', async () => {
    const m = model({
      nodes: [
        node('Conv', ['x', 'w'], ['c'], [intsAttr('kernel_shape', [5, 5])]),
        node('MaxPool', ['c'], ['p'], [intsAttr('kernel_shape', [2, 2]), intsAttr('strides', [2, 2])]),
        node('Flatten', ['p'], ['y']),
      ],
      inputs: [vi('x', ['N', 1, 28, 28])], outputs: [vi('y', undefined)],
      inits: [makeTensor('w', DataType.FLOAT, [8, 1, 5, 5], new Float32Array(200))],
    });
    const out = await expectApplies(shapeInference(), m);
    const shape = (n: string) => { const t = out.graph.valueInfo.find((v) => v.name === n)!.type!; return t.kind === 'tensor' ? t.shape : undefined; };
    expect(shape('c')).toEqual(['N', 8, 24, 24]);
    expect(shape('p')).toEqual(['N', 8, 12, 12]);
    expect(out.graph.valueInfo.some((v) => v.name === 'y')).toBe(false); // graph outputs are never overwritten
  });

  it('known dims that contradict are a NodeError naming the node and input', async () => {
    const m = model({ nodes: [node('MatMul', ['a', 'b'], ['y'], [], 'mm')], inputs: [vi('a', [2, 3]), vi('b', [4, 5])], outputs: [vi('y', undefined)] });
    const run = (async () => shapeInference().run(m, createPassContext()))();
    await expect(run).rejects.toBeInstanceOf(NodeError);
    await expect(run).rejects.toThrow('node "mm" (MatMul): static shapes conflict: inner dimensions differ: 3 (input[0]) vs 4 (input[1])');
    await expect(run).rejects.toMatchObject({ inputIndex: 1 });
  });

  it('does nothing when no type is derivable', async () => {
    const m = model({ nodes: [node('NonMaxSuppression', ['x'], ['y'])], inputs: [vi('x', undefined)], outputs: [vi('y', undefined)] });
    await expectNoop(shapeInference(), m);
  });

  it('mnist-8: every inferred dim matches onnxruntime', async () => {
    let m = decodeModel(readFileSync(testdataPath('models', 'mnist-8.onnx')));
    m = (await initializersNotInputs().run(m, createPassContext())).model;
    await expectNoop(shapeInference(), m); // the file already records every intermediate shape
    m = { ...m, graph: { ...m.graph, valueInfo: [] } };
    await expectApplies(shapeInference(), m);
    const n = await checkAgainstOrt(m, { Input3: new ort.Tensor('float32', new Float32Array(784), [1, 1, 28, 28]) });
    expect(n).toBeGreaterThan(20);
  });

  it('ultraface-rfb-320 and ppocr-mobile-v2-cls: every inferred dim matches onnxruntime', async () => {
    const uf = decodeModel(readFileSync(testdataPath('models', 'ultraface-rfb-320.onnx')));
    expect(await checkAgainstOrt(uf, { input: new ort.Tensor('float32', new Float32Array(3 * 240 * 320), [1, 3, 240, 320]) })).toBeGreaterThan(200);
    let pp = decodeModel(readFileSync(testdataPath('models', 'ppocr-mobile-v2-cls.onnx')));
    pp = (await constantFolding().run(pp, createPassContext())).model;
    expect(await checkAgainstOrt(pp, { x: new ort.Tensor('float32', new Float32Array(3 * 48 * 192), [1, 3, 48, 192]) })).toBeGreaterThan(50);
  });
});
