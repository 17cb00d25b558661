/**
 * Cross-layer equalisation on a badly scaled Conv-Relu-Conv chain (A's output channels span 1e-2..10 in weight
 * range, B compensates): the float function is unchanged, and per-tensor static quantization gains SQNR.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { createPassContext, DataType, encodeModel, tensorFromValues } from '@lowbit/onnx-ir';
import type { Attr, Model, Node } from '@lowbit/onnx-ir';
import { crossLayerEqualization } from '@lowbit/rewriters';
import { Tensor } from '@lowbit/runtime';
import { quantizeStatic } from '../quantize-static.js';
import { rand } from '../test-support/mel-frontend.js';
import { sqnrDb } from '../test-support/sqnr.js';

const node = (opType: string, inputs: string[], outputs: string[], attributes: Attr[] = []): Node => ({ id: outputs[0], name: outputs[0], domain: '', opType, inputs, outputs, attributes });
const ints = (name: string, v: number[]): Attr => ({ name, type: 'ints', value: v.map(BigInt) });
const C = 8;

function chain(): Model {
  const scale = Array.from({ length: C }, (_, i) => 10 ** (-2 + (3 * i) / (C - 1)));
  const wa = rand(C * 3 * 9, 5).map((v, k) => v * scale[Math.floor(k / 27)]);
  const ba = rand(C, 6).map((v, i) => 0.1 * v * scale[i]);
  const wb = rand(4 * C * 9, 7).map((v, k) => v / scale[Math.floor(k / 9) % C]);
  const t = (name: string, dims: number[], v: Float32Array) => tensorFromValues(name, DataType.FLOAT, dims, v);
  return {
    irVersion: 8, opsetImports: [{ domain: '', version: 17 }], functions: [], metadataProps: [],
    graph: {
      name: 'badly-scaled', sparseInitializers: [], valueInfo: [],
      inputs: [{ name: 'x', type: { kind: 'tensor', elemType: DataType.FLOAT, shape: [1, 3, 16, 16] } }],
      outputs: [{ name: 'y', type: { kind: 'tensor', elemType: DataType.FLOAT, shape: [1, 4, 16, 16] } }],
      initializers: [t('wa', [C, 3, 3, 3], wa), t('ba', [C], ba), t('wb', [4, C, 3, 3], wb)],
      nodes: [
        node('Conv', ['x', 'wa', 'ba'], ['a'], [ints('pads', [1, 1, 1, 1])]),
        node('Relu', ['a'], ['r']),
        node('Conv', ['r', 'wb'], ['y'], [ints('pads', [1, 1, 1, 1])]),
      ],
    },
  };
}

const input = (s: number) => rand(3 * 16 * 16, 100 + s);
const dir = mkdtempSync(join(tmpdir(), 'lowbit-cle-'));

describe('cross-layer equalisation', () => {
  it('keeps the float function; applying it again changes nothing; per-tensor SQNR rises', async () => {
    const m = chain();
    const eq = (await crossLayerEqualization().run(m, createPassContext())).model;
    expect(eq).not.toBe(m);
    const again = await crossLayerEqualization().run(eq, createPassContext());
    expect(again.modified).toBe(false);
    const held = [0, 1, 2].map((s) => ({ x: new ort.Tensor('float32', input(s + 50), [1, 3, 16, 16]) }));
    expect(await sqnrDb(encodeModel(m), encodeModel(eq), held)).toBeGreaterThan(100);
    const calib = () => [0, 1, 2, 3].map((s) => ({ x: new Tensor('float32', input(s), [1, 3, 16, 16]) }));
    await quantizeStatic(m, join(dir, 'plain.onnx'), calib());
    await quantizeStatic(m, join(dir, 'cle.onnx'), calib(), { crossLayerEqualization: true });
    const before = await sqnrDb(encodeModel(m), join(dir, 'plain.onnx'), held);
    const after = await sqnrDb(encodeModel(m), join(dir, 'cle.onnx'), held);
    console.log(`CLE, per-tensor u8s8 static: ${before.toFixed(2)} dB -> ${after.toFixed(2)} dB`);
    expect(after).toBeGreaterThan(before + 6);
  }, 120_000);
});
