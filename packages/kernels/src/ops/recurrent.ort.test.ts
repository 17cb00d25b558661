/**
 * RNN / GRU / LSTM against onnxruntime-node on configurations the ONNX node tests do not cover: bidirectional,
 * reverse, sequence_lens with ragged batches, initial states, peepholes, clip, non-default activations; layout=1
 * (which onnxruntime rejects) is checked against layout=0 on transposed tensors.
 * Single-node models are built with the test model writer; inputs are deterministic pseudo-random values. Agreement: rtol 1e-4,
 * atol 1e-5 on every output (both sides compute in float32/double, so the gap is rounding only).
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import type { AttrValue, KernelNode } from '../contract.js';
import { freshRunContext } from '../run-context.js';
import { Tensor } from '../tensor.js';
import { singleNodeModel } from '../test-support/single-node-model.js';
import { RECURRENT_KERNELS } from './recurrent.js';
import { transposeTensor } from './transpose.js';

type In = { name: string; t: Tensor };

function rand(seed: number, n: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return out;
}

async function compare(opType: string, inputs: (In | null)[], attrs: Record<string, AttrValue>, outputs: number, opset = 14): Promise<void> {
  const model = singleNodeModel({
    opType, opset, attrs, floatAttrs: ['clip'],
    inputs: inputs.map((i) => (i ? { name: i.name, dtype: i.t.dtype } : null)),
    outputs: Array.from({ length: outputs }, (_, i) => ({ name: `y${i}`, dtype: 'float32' as const })),
  });
  const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'] });
  const feeds: Record<string, ort.Tensor> = {};
  for (const i of inputs) if (i) feeds[i.name] = new ort.Tensor(i.t.dtype as 'float32', i.t.data as Float32Array, [...i.t.dims]);
  const expected = await session.run(feeds);
  const node: KernelNode = {
    name: opType, opType, domain: '', opset, attrs: new Map(Object.entries(attrs)),
    inputTypes: inputs.map((i) => i?.t.dtype ?? null), outputCount: outputs,
  };
  const kernel = RECURRENT_KERNELS.find((k) => k.key === `${opType}:*`)!.create(node);
  const actual = kernel.run(inputs.map((i) => i?.t ?? null), freshRunContext);
  for (let o = 0; o < outputs; o++) {
    const e = expected[`y${o}`];
    const a = actual[o]!;
    expect(a.dims).toEqual(e.dims);
    const ed = e.data as Float32Array;
    const ad = a.data as Float32Array;
    for (let i = 0; i < ed.length; i++) {
      expect(Math.abs(ad[i] - ed[i]), `output ${o} element ${i}: ${ad[i]} vs ${ed[i]}`).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(ed[i]));
    }
  }
}

const f = (seed: number, dims: number[], scale = 0.5) => new Tensor('float32', rand(seed, dims.reduce((p, d) => p * d, 1), scale), dims);

describe('recurrent kernels vs onnxruntime-node', () => {
  const seq = 4;
  const batch = 3;
  const I = 3;
  const H = 5;
  const lens = { name: 'lens', t: new Tensor('int32', [4, 1, 3]) };

  it('LSTM bidirectional with sequence_lens, initial states, peepholes and bias', async () => {
    await compare('LSTM', [
      { name: 'x', t: f(1, [seq, batch, I]) }, { name: 'w', t: f(2, [2, 4 * H, I]) }, { name: 'r', t: f(3, [2, 4 * H, H]) },
      { name: 'b', t: f(4, [2, 8 * H]) }, lens, { name: 'h0', t: f(5, [2, batch, H]) }, { name: 'c0', t: f(6, [2, batch, H]) },
      { name: 'p', t: f(7, [2, 3 * H]) },
    ], { hidden_size: H, direction: 'bidirectional' }, 3);
  });

  it('LSTM reverse with clip and Sigmoid/Tanh/Relu activations', async () => {
    await compare('LSTM', [
      { name: 'x', t: f(8, [seq, batch, I], 2) }, { name: 'w', t: f(9, [1, 4 * H, I]) }, { name: 'r', t: f(10, [1, 4 * H, H]) },
      { name: 'b', t: f(11, [1, 8 * H]) },
    ], { hidden_size: H, direction: 'reverse', clip: 0.7, activations: ['Sigmoid', 'Tanh', 'Relu'] }, 3);
  });

  it('GRU bidirectional, linear_before_reset 0 and 1, with sequence_lens', async () => {
    for (const lbr of [0, 1]) {
      await compare('GRU', [
        { name: 'x', t: f(12, [seq, batch, I]) }, { name: 'w', t: f(13, [2, 3 * H, I]) }, { name: 'r', t: f(14, [2, 3 * H, H]) },
        { name: 'b', t: f(15, [2, 6 * H]) }, lens, { name: 'h0', t: f(16, [2, batch, H]) },
      ], { hidden_size: H, direction: 'bidirectional', linear_before_reset: lbr }, 2);
    }
  });

  it('RNN bidirectional with Relu/Tanh activations', async () => {
    await compare('RNN', [
      { name: 'x', t: f(17, [seq, batch, I]) }, { name: 'w', t: f(18, [2, H, I]) }, { name: 'r', t: f(19, [2, H, H]) },
      { name: 'b', t: f(20, [2, 2 * H]) }, lens,
    ], { hidden_size: H, direction: 'bidirectional', activations: ['Relu', 'Tanh'] }, 2);
  });

  it('LSTM layout=1 equals layout=0 on transposed tensors (onnxruntime has no layout=1)', () => {
    const run = (layout: number, x: Tensor, h0: Tensor) => {
      const node: KernelNode = {
        name: 'lstm', opType: 'LSTM', domain: '', opset: 14, attrs: new Map<string, AttrValue>([['hidden_size', H], ['layout', layout]]),
        inputTypes: ['float32', 'float32', 'float32', null, null, 'float32'], outputCount: 3,
      };
      const k = RECURRENT_KERNELS.find((v) => v.key === 'LSTM:*')!.create(node);
      return k.run([x, f(22, [1, 4 * H, I]), f(23, [1, 4 * H, H]), null, null, h0], freshRunContext) as Tensor[];
    };
    const xb = f(21, [batch, seq, I]);
    const hb = f(24, [batch, 1, H]);
    const xs = transposeTensor(xb, [1, 0, 2], freshRunContext);
    const hs = transposeTensor(hb, [1, 0, 2], freshRunContext);
    const [yb, yhb] = run(1, xb, hb);
    const [ys, yhs] = run(0, xs, hs);
    expect(yb.dims).toEqual([batch, seq, 1, H]);
    expect(Array.from(transposeTensor(ys, [2, 0, 1, 3], freshRunContext).data as Float32Array)).toEqual(Array.from(yb.data as Float32Array));
    expect(Array.from(transposeTensor(yhs, [1, 0, 2], freshRunContext).data as Float32Array)).toEqual(Array.from(yhb.data as Float32Array));
  });
});
