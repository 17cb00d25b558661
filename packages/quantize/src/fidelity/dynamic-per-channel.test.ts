/**
 * `perChannel` in dynamic mode reaches Conv: per-output-channel uint8 symmetric weights (zero point 128 in every
 * channel, so ConvInteger keeps the scalar w_zero_point onnxruntime requires) and a [1, M, 1, 1] rescale. On a Conv
 * whose output channels span 1e-2..10 in weight range, per-channel gains output SQNR over per-tensor; the model loads
 * in onnxruntime-node, and Lowbit's runtime computes the same outputs as onnxruntime.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { DataType, encodeModel, tensorFromValues, tensorValuesSync } from '@lowbit/onnx-ir';
import type { Model } from '@lowbit/onnx-ir';
import { Session, Tensor } from '@lowbit/runtime';
import { quantizeDynamic } from '../quantize-dynamic.js';
import { rand } from '../test-support/mel-frontend.js';
import { sqnrDb } from '../test-support/sqnr.js';

const M = 8;

function conv(): Model {
  const scale = Array.from({ length: M }, (_, i) => 10 ** (-2 + (3 * i) / (M - 1)));
  const w = rand(M * 3 * 9, 5).map((v, k) => v * scale[Math.floor(k / 27)]);
  const b = rand(M, 6).map((v, i) => 0.1 * v * scale[i]);
  return {
    irVersion: 8, opsetImports: [{ domain: '', version: 17 }], functions: [], metadataProps: [],
    graph: {
      name: 'per-channel-conv', sparseInitializers: [], valueInfo: [],
      inputs: [{ name: 'x', type: { kind: 'tensor', elemType: DataType.FLOAT, shape: [1, 3, 12, 12] } }],
      outputs: [{ name: 'y', type: { kind: 'tensor', elemType: DataType.FLOAT, shape: [1, M, 12, 12] } }],
      initializers: [tensorFromValues('w', DataType.FLOAT, [M, 3, 3, 3], w), tensorFromValues('b', DataType.FLOAT, [M], b)],
      nodes: [{ id: 'c', name: 'c', domain: '', opType: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['y'], attributes: [{ name: 'pads', type: 'ints', value: [1n, 1n, 1n, 1n] }] }],
    },
  };
}

/** The least SQNR over output channels (onnxruntime-node), float vs quantized. */
async function worstChannelDb(f: Model, q: Model, feeds: readonly Record<string, ort.Tensor>[]): Promise<number> {
  const sf = await ort.InferenceSession.create(encodeModel(f), { executionProviders: ['cpu'] });
  const sq = await ort.InferenceSession.create(encodeModel(q), { executionProviders: ['cpu'] });
  const sig = new Float64Array(M), noise = new Float64Array(M);
  for (const fe of feeds) {
    const a = (await sf.run(fe)).y.data as Float32Array, b = (await sq.run(fe)).y.data as Float32Array;
    const hw = a.length / M;
    for (let i = 0; i < a.length; i++) { const c = Math.floor(i / hw); sig[c] += a[i] ** 2; noise[c] += (a[i] - b[i]) ** 2; }
  }
  return Math.min(...Array.from(sig, (s, c) => 10 * Math.log10(s / noise[c])));
}

describe('dynamic per-channel Conv', () => {
  it('per-channel scales in a [1, M, 1, 1] rescale, scalar zero point; more SQNR than per-tensor; onnxruntime and Lowbit agree', async () => {
    const m = conv();
    const pt = await quantizeDynamic(m, null);
    const pc = await quantizeDynamic(m, null, { perChannel: true });
    const ci = pc.graph.nodes.find((n) => n.opType === 'ConvInteger')!;
    const init = (name: string) => pc.graph.initializers.find((t) => t.name === name)!;
    expect(init(ci.inputs[3]!).dims).toEqual([]);
    expect(Number((tensorValuesSync(init(ci.inputs[3]!)).data as Uint8Array)[0])).toBe(128);
    const scale = pc.graph.initializers.find((t) => t.dims.length === 4 && t.dims[1] === M && t.dtype === DataType.FLOAT)!;
    expect(scale.dims).toEqual([1, M, 1, 1]);
    expect(new Set(tensorValuesSync(scale).data as Float32Array).size).toBe(M);
    const held = [0, 1, 2].map((s) => ({ x: new ort.Tensor('float32', rand(3 * 144, 60 + s), [1, 3, 12, 12]) }));
    const dbT = await sqnrDb(encodeModel(m), encodeModel(pt), held);
    const dbC = await sqnrDb(encodeModel(m), encodeModel(pc), held);
    const wT = await worstChannelDb(m, pt, held), wC = await worstChannelDb(m, pc, held);
    console.log(`dynamic Conv (channels 1e-2..10): output SQNR per-tensor ${dbT.toFixed(2)} dB, per-channel ${dbC.toFixed(2)} dB; worst channel ${wT.toFixed(2)} -> ${wC.toFixed(2)} dB`);
    expect(dbC).toBeGreaterThan(dbT + 3);
    expect(wC).toBeGreaterThan(wT + 20);
    const ours = await Session.create(encodeModel(pc));
    const theirs = await ort.InferenceSession.create(encodeModel(pc), { executionProviders: ['cpu'] });
    for (const f of held) {
      const a = (await ours.run({ x: new Tensor('float32', f.x.data as Float32Array, [1, 3, 12, 12]) })).y.data as Float32Array;
      const r = (await theirs.run(f)).y.data as Float32Array;
      for (let i = 0; i < r.length; i++) expect(Math.abs(a[i] - r[i])).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(r[i])));
    }
  });
});
