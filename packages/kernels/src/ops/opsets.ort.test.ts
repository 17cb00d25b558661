/**
 * Older opset signatures against onnxruntime-node: the node tests run every op at its newest opset, but real
 * models (mnist-8 at 8, ppocr at 9, ultraface at 9) use the forms where today's inputs were attributes (Slice 9,
 * Pad 2, Squeeze/Unsqueeze/ReduceSum/Split 11, Clip 6, TopK 1, Upsample 7/9, Resize 10, Softmax 1/11, Reshape 5).
 * Each case builds a single-node model at that opset and compares outputs (floats within rtol 1e-5 / atol 1e-6,
 * others exactly).
 */
import { describe, expect, it } from 'vitest';
import { KernelRegistry } from '../registry.js';
import { Tensor, type DType } from '../tensor.js';
import { mismatchVsOrt, type OrtCase } from '../test-support/vs-ort.js';
import { OPS_KERNELS } from './index.js';

const registry = new KernelRegistry().registerAll(OPS_KERNELS);

const seq = (dims: number[], f = (i: number) => Math.sin(i * 1.3) * 5) =>
  new Tensor('float32', Array.from({ length: dims.reduce((p, d) => p * d, 1) }, (_, i) => f(i)), dims);
const i64 = (xs: number[]) => new Tensor('int64', xs.map(BigInt));

type Case = OrtCase;

const check = (c: Case): Promise<string | undefined> => mismatchVsOrt(registry, c, { rtol: 1e-5, atol: 1e-6 });

describe('older opset signatures vs onnxruntime-node', () => {
  it('attribute forms of inputs added later', async () => {
    const x = seq([2, 3, 4]);
    const img = seq([1, 2, 3, 4]);
    const cases: Case[] = [
      { op: 'Slice', opset: 9, inputs: [x], attrs: { starts: [0, 1], ends: [2, 1000], axes: [0, 2] } },
      { op: 'Slice', opset: 1, inputs: [x], attrs: { starts: [-2], ends: [-1] } },
      { op: 'Pad', opset: 2, inputs: [x], attrs: { pads: [0, 1, 2, 0, 1, 0], mode: 'constant', value: 1.5 }, floatAttrs: ['value'] },
      { op: 'Pad', opset: 2, inputs: [x], attrs: { pads: [0, 1, 2, 0, 1, 2], mode: 'reflect' } },
      { op: 'Pad', opset: 2, inputs: [x], attrs: { pads: [0, 2, 1, 0, 0, 3], mode: 'edge' } },
      { op: 'Squeeze', opset: 11, inputs: [seq([1, 3, 1, 2])], attrs: { axes: [0, -2] } },
      { op: 'Unsqueeze', opset: 11, inputs: [x], attrs: { axes: [0, -1] } },
      { op: 'ReduceSum', opset: 11, inputs: [x], attrs: { axes: [-1], keepdims: 0 } },
      { op: 'ReduceMean', opset: 13, inputs: [x], attrs: { axes: [0, 2] } },
      { op: 'ReduceMax', opset: 13, inputs: [x], attrs: { keepdims: 0 } },
      { op: 'Split', opset: 11, inputs: [x], attrs: { axis: 2, split: [1, 3] }, outputs: ['float32', 'float32'] },
      { op: 'Split', opset: 13, inputs: [x, i64([2, 1])], attrs: { axis: 1 }, outputs: ['float32', 'float32'] },
      { op: 'Split', opset: 18, inputs: [seq([2, 3, 5])], attrs: { axis: 2, num_outputs: 3 }, outputs: ['float32', 'float32', 'float32'] },
      { op: 'Clip', opset: 6, inputs: [x], attrs: { min: -1, max: 2 }, floatAttrs: ['min', 'max'] },
      { op: 'TopK', opset: 1, inputs: [x], attrs: { k: 2, axis: 1 }, outputs: ['float32', 'int64'] },
      { op: 'Upsample', opset: 7, inputs: [img], attrs: { mode: 'nearest', scales: [1, 1, 2, 1.5] }, floatAttrs: ['scales'] },
      { op: 'Upsample', opset: 9, inputs: [img, new Tensor('float32', [1, 1, 2, 2])], attrs: { mode: 'linear' } },
      { op: 'Resize', opset: 10, inputs: [img, new Tensor('float32', [1, 1, 2, 3])], attrs: { mode: 'nearest' } },
      { op: 'Resize', opset: 10, inputs: [img, new Tensor('float32', [1, 1, 0.5, 2])], attrs: { mode: 'linear' } },
      { op: 'Resize', opset: 11, inputs: [img, new Tensor('float32', []), new Tensor('float32', [1, 1, 1.5, 0.5])], attrs: { mode: 'cubic' } },
      { op: 'Softmax', opset: 1, inputs: [x], attrs: { axis: 1 } },
      { op: 'LogSoftmax', opset: 11, inputs: [x] },
      { op: 'Hardmax', opset: 11, inputs: [x], attrs: { axis: 2 } },
      { op: 'Reshape', opset: 5, inputs: [x, i64([0, -1])] },
      { op: 'Flatten', opset: 9, inputs: [x], attrs: { axis: 2 } },
      { op: 'Dropout', opset: 7, inputs: [x], attrs: { ratio: 0.3 }, floatAttrs: ['ratio'] },
      { op: 'ArgMax', opset: 11, inputs: [x], attrs: { axis: -1, keepdims: 0 }, outputs: ['int64'] },
      { op: 'Max', opset: 6, inputs: [x, seq([2, 3, 4], (i) => i % 3)] },
      { op: 'Sum', opset: 6, inputs: [x, x, seq([2, 3, 4], (i) => i)] },
      { op: 'LeakyRelu', opset: 6, inputs: [x], attrs: { alpha: 0.2 } },
      { op: 'Cast', opset: 6, inputs: [x], attrs: { to: 6 }, outputs: ['int32'] },
      { op: 'Gather', opset: 1, inputs: [x, i64([-1, 0])], attrs: { axis: 1 } },
      { op: 'Concat', opset: 4, inputs: [x, x], attrs: { axis: 1 } },
      { op: 'Expand', opset: 8, inputs: [seq([3, 1]), i64([2, 1, 5])] },
      { op: 'Tile', opset: 6, inputs: [seq([2, 3]), i64([2, 2])] },
      { op: 'DepthToSpace', opset: 1, inputs: [seq([1, 8, 2, 3])], attrs: { blocksize: 2 } },
      { op: 'SpaceToDepth', opset: 1, inputs: [seq([1, 2, 4, 6])], attrs: { blocksize: 2 } },
    ];
    const problems: string[] = [];
    for (const c of cases) {
      try {
        const m = await check(c);
        if (m) problems.push(m);
      } catch (e) {
        problems.push(`${c.op}@${c.opset}: threw ${(e as Error).message.slice(0, 200)}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
