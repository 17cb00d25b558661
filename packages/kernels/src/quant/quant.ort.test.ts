/**
 * Integer kernels against onnxruntime-node where ORT is exact on this CPU: uint8 x uint8 MatMulInteger and
 * ConvInteger (u8 x s8 is not compared: ORT's x86 path saturates int16 intermediates), and QLinearMatMul /
 * QLinearConv with uint8 operands. Results must be identical.
 */
import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import type { AttrValue, KernelNode } from '../contract.js';
import { keyFor } from '../keys.js';
import { createReferenceRegistry } from '../reference.js';
import { freshRunContext } from '../run-context.js';
import { Tensor, type DType } from '../tensor.js';
import { singleNodeModel } from '../test-support/single-node-model.js';

const registry = createReferenceRegistry();
ort.env.logLevel = 'fatal';

async function both(op: string, inputs: Tensor[], out: DType, attrs: Record<string, AttrValue> = {}, opset = 13): Promise<[number[], number[]]> {
  const model = singleNodeModel({ opType: op, opset, attrs, inputs: inputs.map((t, i) => ({ name: `x${i}`, dtype: t.dtype })), outputs: [{ name: 'y', dtype: out }] });
  const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'] });
  const feeds: Record<string, ort.Tensor> = {};
  inputs.forEach((t, i) => {
    feeds[`x${i}`] = new ort.Tensor(t.dtype as 'uint8', t.data as Uint8Array, [...t.dims]);
  });
  const e = (await session.run(feeds)).y;
  const node: KernelNode = { name: op, opType: op, domain: '', opset, attrs: new Map(Object.entries(attrs)), inputTypes: inputs.map((t) => t.dtype), outputCount: 1 };
  const [y] = registry.resolve(keyFor(node)).create(node).run(inputs, freshRunContext);
  return [Array.from(y!.data as ArrayLike<number>), Array.from(e.data as ArrayLike<number>)];
}

const u8s = (n: number) => fc.array(fc.integer({ min: 0, max: 255 }), { minLength: n, maxLength: n });
const u8 = (xs: number[], dims: number[]) => new Tensor('uint8', xs, dims);
const f = (v: number) => new Tensor('float32', [v], []);

describe('integer kernels vs onnxruntime-node (uint8 x uint8)', () => {
  it('MatMulInteger and QLinearMatMul', async () => {
    const arb = fc.record({ M: fc.integer({ min: 1, max: 4 }), K: fc.integer({ min: 1, max: 40 }), N: fc.integer({ min: 1, max: 4 }) })
      .chain((g) => fc.record({ g: fc.constant(g), a: u8s(g.M * g.K), b: u8s(g.K * g.N), z: u8s(3), s: fc.float({ min: Math.fround(1e-4), max: Math.fround(0.05), noNaN: true }) }));
    await fc.assert(fc.asyncProperty(arb, async ({ g, a, b, z, s }) => {
      const A = u8(a, [g.M, g.K]);
      const B = u8(b, [g.K, g.N]);
      const [mine, theirs] = await both('MatMulInteger', [A, B, u8([z[0]], []), u8([z[1]], [])], 'int32', {}, 10);
      expect(mine).toEqual(theirs);
      const [qm, qt] = await both('QLinearMatMul', [A, f(0.02), u8([z[0]], []), B, f(0.03), u8([z[1]], []), f(s * 10), u8([z[2]], [])], 'uint8', {}, 10);
      expect(qm).toEqual(qt);
    }), { numRuns: 25 });
  });

  it('ConvInteger with pads and strides', async () => {
    const arb = fc.record({ C: fc.integer({ min: 1, max: 3 }), M: fc.integer({ min: 1, max: 3 }), H: fc.integer({ min: 3, max: 6 }), s: fc.integer({ min: 1, max: 2 }), p: fc.integer({ min: 0, max: 1 }) })
      .chain((g) => fc.record({ g: fc.constant(g), x: u8s(g.C * g.H * g.H), w: u8s(g.M * g.C * 4), z: u8s(2) }));
    await fc.assert(fc.asyncProperty(arb, async ({ g, x, w, z }) => {
      const [mine, theirs] = await both('ConvInteger', [u8(x, [1, g.C, g.H, g.H]), u8(w, [g.M, g.C, 2, 2]), u8([z[0]], []), u8([z[1]], [])], 'int32', { strides: [g.s, g.s], pads: [g.p, g.p, g.p, g.p] }, 10);
      expect(mine).toEqual(theirs);
    }), { numRuns: 25 });
  });
});
