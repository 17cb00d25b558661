import { describe, expect, it } from 'vitest';
import { DataType } from '@lowbit/onnx-ir';
import type { Model } from '@lowbit/onnx-ir';
import { floatAttr, intAttr, intsAttr } from './attrs.js';
import { foldBatchNorm, fuseConvBias } from './fold-batchnorm.js';
import { model, node, randFloats, vi } from './test-support/build.js';
import { expectApplies, expectNoop } from './test-support/laws.js';
import { ortRun } from './test-support/ort.js';
import { makeTensor, tensorFloats } from './tensor-data.js';

const f = (name: string, dims: number[], v: ArrayLike<number>) => makeTensor(name, DataType.FLOAT, dims, v);

/** The folded model must compute what onnxruntime computes for the original (float32 reassociation: 1e-5). */
async function close(a: Model, b: Model, x: Float32Array, dims: number[]): Promise<void> {
  const ra = await ortRun(a, { x: { data: x, dims } });
  const rb = await ortRun(b, { x: { data: x, dims } });
  for (const k of Object.keys(ra)) for (let i = 0; i < ra[k].length; i++) expect(rb[k][i]).toBeCloseTo(ra[k][i], 4);
}

const bnInits = (c: number) => [
  f('g', [c], randFloats(c, 3, 2)), f('be', [c], randFloats(c, 4)), f('mu', [c], randFloats(c, 5)),
  f('va', [c], Float32Array.from(randFloats(c, 6), (v) => Math.abs(v) + 0.1)),
];

describe('fold-batchnorm', () => {
  it('folds BN into Conv (with and without bias) exactly as onnxruntime computes it', async () => {
    for (const withBias of [false, true]) {
      const inits = [f('w', [4, 2, 3, 3], randFloats(72, 1)), ...bnInits(4), ...(withBias ? [f('b', [4], randFloats(4, 2))] : [])];
      const m = model({
        nodes: [
          node('Conv', ['x', 'w', ...(withBias ? ['b'] : [])], ['c'], [intsAttr('kernel_shape', [3, 3]), intsAttr('pads', [1, 1, 1, 1])]),
          node('BatchNormalization', ['c', 'g', 'be', 'mu', 'va'], ['y'], [floatAttr('epsilon', 1e-3)]),
        ],
        inputs: [vi('x', [1, 2, 5, 5])], outputs: [vi('y', [1, 4, 5, 5])], inits,
      });
      const out = await expectApplies(foldBatchNorm(), m);
      expect(out.graph.nodes.map((n) => n.opType)).toEqual(['Conv']);
      await close(m, out, randFloats(50, 9), [1, 2, 5, 5]);
    }
  });

  it('hand-checked example: gamma 2, var 3, eps 1, mean 1, beta 0.5, W 1 -> W 1, B -0.5', async () => {
    const m = model({
      nodes: [node('Conv', ['x', 'w'], ['c'], [intsAttr('kernel_shape', [1, 1])]), node('BatchNormalization', ['c', 'g', 'be', 'mu', 'va'], ['y'], [floatAttr('epsilon', 1)])],
      inputs: [vi('x', [1, 1, 1, 1])], outputs: [vi('y', [1, 1, 1, 1])],
      inits: [f('w', [1, 1, 1, 1], [1]), f('g', [1], [2]), f('be', [1], [0.5]), f('mu', [1], [1]), f('va', [1], [3])],
    });
    const out = await expectApplies(foldBatchNorm(), m);
    const conv = out.graph.nodes[0];
    const get = (n: string) => Array.from(tensorFloats(out.graph.initializers.find((t) => t.name === n)!));
    expect(get(conv.inputs[1]!)).toEqual([1]);
    expect(get(conv.inputs[2]!)).toEqual([-0.5]);
  });

  it('folds BN into Gemm (transB 0 and 1)', async () => {
    for (const transB of [0, 1]) {
      const w = f('w', transB ? [4, 3] : [3, 4], randFloats(12, 11));
      const m = model({
        nodes: [node('Gemm', ['x', 'w', 'c0'], ['c'], [intAttr('transB', transB), floatAttr('beta', 0.5)]), node('BatchNormalization', ['c', 'g', 'be', 'mu', 'va'], ['y'])],
        inputs: [vi('x', [2, 3])], outputs: [vi('y', [2, 4])], inits: [w, f('c0', [4], randFloats(4, 12)), ...bnInits(4)],
      });
      const out = await expectApplies(foldBatchNorm(), m);
      expect(out.graph.nodes.map((n) => n.opType)).toEqual(['Gemm']);
      await close(m, out, randFloats(6, 13), [2, 3]);
    }
  });

  it('leaves BN alone when its input has other readers', async () => {
    const m = model({
      nodes: [node('Conv', ['x', 'w'], ['c'], [intsAttr('kernel_shape', [1, 1])]), node('BatchNormalization', ['c', 'g', 'be', 'mu', 'va'], ['y']), node('Relu', ['c'], ['z'])],
      inputs: [vi('x', [1, 4, 2, 2])], outputs: [vi('y', undefined), vi('z', undefined)], inits: [f('w', [4, 4, 1, 1], randFloats(16, 1)), ...bnInits(4)],
    });
    await expectNoop(foldBatchNorm(), m);
  });
});

describe('fuse-conv-bias', () => {
  it("fuses mnist-8's Conv -> Add([C,1,1]) into the Conv bias", async () => {
    const m = model({
      nodes: [node('Conv', ['x', 'w'], ['c'], [intsAttr('kernel_shape', [3, 3])]), node('Add', ['c', 'bias'], ['y'])],
      inputs: [vi('x', [1, 2, 5, 5])], outputs: [vi('y', [1, 4, 3, 3])], inits: [f('w', [4, 2, 3, 3], randFloats(72, 1)), f('bias', [4, 1, 1], randFloats(4, 2))],
    });
    const out = await expectApplies(fuseConvBias(), m);
    expect(out.graph.nodes.map((n) => n.opType)).toEqual(['Conv']);
    await close(m, out, randFloats(50, 3), [1, 2, 5, 5]);
  });

  it('does not fuse an Add that broadcasts over spatial dims', async () => {
    const m = model({
      nodes: [node('Conv', ['x', 'w'], ['c'], [intsAttr('kernel_shape', [3, 3])]), node('Add', ['c', 'bias'], ['y'])],
      inputs: [vi('x', [1, 2, 5, 5])], outputs: [vi('y', [1, 4, 3, 3])], inits: [f('w', [4, 2, 3, 3], randFloats(72, 1)), f('bias', [1, 3], randFloats(3, 2))],
    });
    await expectNoop(fuseConvBias(), m);
  });
});
