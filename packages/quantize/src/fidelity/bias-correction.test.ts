/**
 * Bias correction on a Conv whose per-tensor int8 weight grid is coarse for most channels (one channel's weights are
 * 50x larger) and whose input has a non-zero mean: the per-channel mean output error on held-out inputs shrinks.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { DataType, encodeModel, tensorFromValues } from '@lowbit/onnx-ir';
import type { Attr, Model } from '@lowbit/onnx-ir';
import { Tensor } from '@lowbit/runtime';
import { quantizeStatic } from '../quantize-static.js';
import { rand } from '../test-support/mel-frontend.js';

const C = 8;
const ints = (name: string, v: number[]): Attr => ({ name, type: 'ints', value: v.map(BigInt) });

function model(): Model {
  const w = rand(C * 3 * 9, 41).map((v, k) => (Math.floor(k / 27) === 0 ? 5 * v : 0.1 * v + 0.03));
  return {
    irVersion: 8, opsetImports: [{ domain: '', version: 17 }], functions: [], metadataProps: [],
    graph: {
      name: 'coarse-conv', sparseInitializers: [], valueInfo: [],
      inputs: [{ name: 'x', type: { kind: 'tensor', elemType: DataType.FLOAT, shape: [1, 3, 12, 12] } }],
      outputs: [{ name: 'y', type: { kind: 'tensor', elemType: DataType.FLOAT, shape: [1, C, 12, 12] } }],
      initializers: [tensorFromValues('w', DataType.FLOAT, [C, 3, 3, 3], w), tensorFromValues('b', DataType.FLOAT, [C], rand(C, 42).map((v) => 0.1 * v))],
      nodes: [{ id: 'conv', name: 'conv', domain: '', opType: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['y'], attributes: [ints('pads', [1, 1, 1, 1])] }],
    },
  };
}
const input = (s: number) => rand(3 * 144, 500 + s).map((v) => 1 + 0.5 * v);
const dir = mkdtempSync(join(tmpdir(), 'lowbit-bc-'));

/** Mean over channels of |mean over held-out positions of (y_float - y_quant)|. */
async function meanBias(floatModel: Uint8Array, quant: string): Promise<number> {
  const f = await ort.InferenceSession.create(floatModel), q = await ort.InferenceSession.create(quant);
  const diff = new Float64Array(C);
  let count = 0;
  for (const s of [20, 21, 22, 23]) {
    const feeds = { x: new ort.Tensor('float32', input(s), [1, 3, 12, 12]) };
    const a = (await f.run(feeds)).y.data as Float32Array, b = (await q.run(feeds)).y.data as Float32Array;
    for (let i = 0; i < a.length; i++) diff[Math.floor(i / 144)] += a[i] - b[i];
    count += 144;
  }
  return diff.reduce((t, d) => t + Math.abs(d / count), 0) / C;
}

describe('bias correction', () => {
  it('reduces the per-channel mean output error (per-tensor int8 weights)', async () => {
    const m = model();
    const calib = () => [0, 1, 2, 3, 4, 5].map((s) => ({ x: new Tensor('float32', input(s), [1, 3, 12, 12]) }));
    await quantizeStatic(m, join(dir, 'plain.onnx'), calib());
    await quantizeStatic(m, join(dir, 'bc.onnx'), calib(), { biasCorrection: true });
    const before = await meanBias(encodeModel(m), join(dir, 'plain.onnx'));
    const after = await meanBias(encodeModel(m), join(dir, 'bc.onnx'));
    console.log(`bias correction: mean per-channel output bias ${before.toExponential(3)} -> ${after.toExponential(3)}`);
    expect(after).toBeLessThan(before / 2);
  }, 120_000);
});
