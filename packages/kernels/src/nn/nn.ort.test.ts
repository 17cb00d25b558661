/**
 * The float nn kernels against onnxruntime-node over drawn configurations (fast-check): Conv and ConvTranspose
 * (1-2 spatial dims, groups, strides, dilations, asymmetric pads, auto_pad, output_padding), MaxPool/AveragePool
 * (ceil_mode, count_include_pad, dilations), Gemm (transA/transB, alpha/beta, C broadcast) and batched MatMul.
 * Inputs are uniform in [-1, 1]; outputs agree within rtol 1e-4 / atol 1e-5 (ORT sums in another order).
 */
import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import type { AttrValue, KernelNode } from '../contract.js';
import { keyFor } from '../keys.js';
import { createReferenceRegistry } from '../reference.js';
import { freshRunContext } from '../run-context.js';
import { Tensor } from '../tensor.js';
import { firstMismatch } from '../test-support/expect-close.js';
import { singleNodeModel } from '../test-support/single-node-model.js';

const registry = createReferenceRegistry();
ort.env.logLevel = 'fatal';

function rand(seed: number, dims: readonly number[]): Tensor<'float32'> {
  let s = seed >>> 0;
  const out = new Float32Array(dims.reduce((p, d) => p * d, 1));
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return new Tensor('float32', out, dims);
}

async function vsOrt(op: string, inputs: (Tensor | null)[], attrs: Record<string, AttrValue>, opset = 19): Promise<string | undefined> {
  const names = inputs.map((t, i) => (t ? `x${i}` : ''));
  const model = singleNodeModel({
    opType: op, opset, attrs, floatAttrs: ['alpha', 'beta'],
    inputs: inputs.map((t, i) => (t ? { name: names[i], dtype: t.dtype } : null)),
    outputs: [{ name: 'y', dtype: 'float32' }],
  });
  const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'] });
  const feeds: Record<string, ort.Tensor> = {};
  inputs.forEach((t, i) => {
    if (t) feeds[names[i]] = new ort.Tensor('float32', t.data as Float32Array, [...t.dims]);
  });
  const e = (await session.run(feeds)).y;
  const node: KernelNode = { name: op, opType: op, domain: '', opset, attrs: new Map(Object.entries(attrs)), inputTypes: inputs.map((t) => t?.dtype ?? null), outputCount: 1 };
  const [y] = registry.resolve(keyFor(node)).create(node).run(inputs, freshRunContext);
  const m = firstMismatch(y!, { dims: e.dims, data: e.data as ArrayLike<unknown> });
  return m && `${op} ${JSON.stringify(attrs)} x[${inputs[0]!.dims}] w[${inputs[1]?.dims ?? ''}]: ${m}`;
}

const spatial = fc.integer({ min: 1, max: 2 });
const windowArb = (rank: number) => fc.record({
  k: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: rank, maxLength: rank }),
  s: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: rank, maxLength: rank }),
  d: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: rank, maxLength: rank }),
  p: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 2 * rank, maxLength: 2 * rank }),
  n: fc.array(fc.integer({ min: 3, max: 7 }), { minLength: rank, maxLength: rank }),
  autoPad: fc.constantFrom('NOTSET', 'NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'),
  seed: fc.nat(),
});

describe('nn kernels vs onnxruntime-node', () => {
  it('Conv: groups, strides, dilations, asymmetric pads, auto_pad', async () => {
    const arb = spatial.chain((r) => fc.record({ w: windowArb(r), g: fc.integer({ min: 1, max: 2 }), cg: fc.integer({ min: 1, max: 2 }), mg: fc.integer({ min: 1, max: 2 }), bias: fc.boolean() }))
      .filter(({ w }) => w.n.every((n, i) => n + w.p[i] + w.p[i + w.n.length] >= (w.k[i] - 1) * w.d[i] + 1 && n >= (w.k[i] - 1) * w.d[i] + 1));
    await fc.assert(fc.asyncProperty(arb, async ({ w, g, cg, mg, bias }) => {
      const C = g * cg;
      const M = g * mg;
      // ORT rejects dilations with SAME_* auto_pad, so SAME cases use dilation 1.
      const same = w.autoPad.startsWith('SAME');
      const attrs: Record<string, AttrValue> = { group: g, strides: w.s, dilations: same ? w.d.map(() => 1) : w.d, kernel_shape: w.k };
      if (w.autoPad === 'NOTSET') attrs.pads = w.p;
      else attrs.auto_pad = w.autoPad;
      const inputs = [rand(w.seed, [2, C, ...w.n]), rand(w.seed + 1, [M, cg, ...w.k]), bias ? rand(w.seed + 2, [M]) : null];
      expect(await vsOrt('Conv', inputs, attrs)).toBeUndefined();
    }), { numRuns: 30 });
  });

  it('ConvTranspose: groups, strides, dilations, pads, output_padding', async () => {
    const arb = spatial.chain((r) => fc.record({ w: windowArb(r), g: fc.integer({ min: 1, max: 2 }), cg: fc.integer({ min: 1, max: 2 }), mg: fc.integer({ min: 1, max: 2 }), op: fc.array(fc.nat(2), { minLength: r, maxLength: r }) }))
      // ORT requires output_padding < stride.
      .map((c) => ({ ...c, op: c.op.map((o, i) => Math.min(o, c.w.s[i] - 1)) }))
      .filter(({ w, op }) => w.n.every((n, i) => w.s[i] * (n - 1) + op[i] + (w.k[i] - 1) * w.d[i] + 1 - w.p[i] - w.p[i + w.n.length] > 0));
    await fc.assert(fc.asyncProperty(arb, async ({ w, g, cg, mg, op }) => {
      const attrs: Record<string, AttrValue> = { group: g, strides: w.s, dilations: w.d, pads: w.p, output_padding: op };
      const inputs = [rand(w.seed, [1, g * cg, ...w.n]), rand(w.seed + 1, [g * cg, mg, ...w.k]), rand(w.seed + 2, [g * mg])];
      expect(await vsOrt('ConvTranspose', inputs, attrs)).toBeUndefined();
    }), { numRuns: 30 });
  });

  it('MaxPool and AveragePool: strides, pads, dilations, ceil_mode, count_include_pad', async () => {
    const arb = spatial.chain((r) => fc.record({ w: windowArb(r), ceil: fc.boolean(), include: fc.boolean(), max: fc.boolean() }))
      .filter(({ w }) => w.n.every((n, i) => w.p[i] < w.k[i] && w.p[i + w.n.length] < w.k[i] && n >= (w.k[i] - 1) * w.d[i] + 1));
    await fc.assert(fc.asyncProperty(arb, async ({ w, ceil, include, max }) => {
      const attrs: Record<string, AttrValue> = { kernel_shape: w.k, strides: w.s, ceil_mode: ceil ? 1 : 0 };
      if (max) attrs.dilations = w.d;
      else attrs.count_include_pad = include ? 1 : 0;
      if (w.autoPad === 'NOTSET') attrs.pads = w.p;
      else if (w.autoPad === 'VALID') attrs.auto_pad = 'VALID';
      expect(await vsOrt(max ? 'MaxPool' : 'AveragePool', [rand(w.seed, [1, 2, ...w.n])], attrs)).toBeUndefined();
    }), { numRuns: 30 });
  });

  it('Gemm (transA/transB, alpha/beta, C shapes) and batched MatMul', async () => {
    const arb = fc.record({ M: fc.integer({ min: 1, max: 5 }), K: fc.integer({ min: 1, max: 9 }), N: fc.integer({ min: 1, max: 5 }), ta: fc.boolean(), tb: fc.boolean(), c: fc.constantFrom('none', 'scalar', 'row', 'col', 'full'), seed: fc.nat() });
    await fc.assert(fc.asyncProperty(arb, async ({ M, K, N, ta, tb, c, seed }) => {
      const cDims = { none: null, scalar: [], row: [N], col: [M, 1], full: [M, N] }[c];
      const inputs = [rand(seed, ta ? [K, M] : [M, K]), rand(seed + 1, tb ? [N, K] : [K, N]), cDims ? rand(seed + 2, cDims) : null];
      expect(await vsOrt('Gemm', inputs, { transA: ta ? 1 : 0, transB: tb ? 1 : 0, alpha: 0.75, beta: 1.5 })).toBeUndefined();
      expect(await vsOrt('MatMul', [rand(seed, [2, 1, M, K]), rand(seed + 1, [3, K, N])], {})).toBeUndefined();
    }), { numRuns: 25 });
  });
});
