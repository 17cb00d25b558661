/**
 * AWQ vs RTN, weight-only int4 (block 32), on a transformer-shaped projection whose input channels differ in scale
 * (log-uniform 0.1..10, as hidden states do): AWQ's output error on held-out rows is below RTN's; both run in
 * onnxruntime-node.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { DataType, encodeModel, tensorFromValues } from '@lowbit/onnx-ir';
import type { Model } from '@lowbit/onnx-ir';
import { awqQuantize } from '@lowbit/rewriters';
import { Tensor } from '@lowbit/runtime';
import { quantizeWeightOnly } from '../quantize-weight-only.js';
import { rand } from '../test-support/mel-frontend.js';
import { sqnrDb } from '../test-support/sqnr.js';

const T = 32, K = 128, N = 64;
const chan = Array.from({ length: K }, (_, j) => 10 ** (-1 + 2 * ((j * 37) % K) / (K - 1)));

function model(): Model {
  return {
    irVersion: 8, opsetImports: [{ domain: '', version: 17 }], functions: [], metadataProps: [],
    graph: {
      name: 'projection', sparseInitializers: [], valueInfo: [],
      inputs: [{ name: 'h', type: { kind: 'tensor', elemType: DataType.FLOAT, shape: [T, K] } }],
      outputs: [{ name: 'y', type: { kind: 'tensor', elemType: DataType.FLOAT, shape: [T, N] } }],
      initializers: [tensorFromValues('w', DataType.FLOAT, [K, N], rand(K * N, 31).map((v) => v * 0.1))],
      nodes: [{ id: 'proj', name: 'proj', domain: '', opType: 'MatMul', inputs: ['h', 'w'], outputs: ['y'], attributes: [] }],
    },
  };
}
const hidden = (s: number) => rand(T * K, 300 + s).map((v, i) => v * chan[i % K]);
const dir = mkdtempSync(join(tmpdir(), 'lowbit-awq-'));

describe('AWQ weight-only int4', () => {
  it('awqQuantize: chosen error <= RTN error on the calibration rows (alpha 0 is RTN)', () => {
    const w = rand(K * N, 31).map((v) => v * 0.1);
    const x = hidden(0);
    const r = awqQuantize(w, K, N, x, T, { dtype: 'int4', scheme: 'symmetric' }, 32);
    expect(r.error).toBeLessThanOrEqual(r.rtnError);
    expect(r.alpha).toBeGreaterThan(0);
  });

  it('output SQNR vs float: AWQ above RTN on held-out rows', async () => {
    const calib = () => [0, 1, 2, 3].map((s) => ({ h: new Tensor('float32', hidden(s), [T, K]) }));
    const held = [10, 11, 12].map((s) => ({ h: new ort.Tensor('float32', hidden(s), [T, K]) }));
    const m = model();
    await quantizeWeightOnly(m, join(dir, 'rtn.onnx'), { weightType: 'int4', blockSize: 32 });
    await quantizeWeightOnly(m, join(dir, 'awq.onnx'), { weightType: 'int4', blockSize: 32, algorithm: 'awq', calibrationData: calib() });
    const rtn = await sqnrDb(encodeModel(m), join(dir, 'rtn.onnx'), held);
    const awq = await sqnrDb(encodeModel(m), join(dir, 'awq.onnx'), held);
    console.log(`int4 weight-only, block 32: RTN ${rtn.toFixed(2)} dB, AWQ ${awq.toFixed(2)} dB`);
    expect(awq).toBeGreaterThan(rtn + 0.5); // measured +0.9 dB
  }, 120_000);
});
