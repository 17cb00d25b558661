/**
 * SmoothQuant on a MatMul whose input has outlier channels (4 of 64 channels 100x larger): the smoothed model computes
 * the same function, and per-tensor static u8s8 quantization gains at least 6 dB output SQNR over the same config
 * without it, with a fixed alpha (0.5) and with the per-layer alpha search; the searched alpha does at least as well
 * as the fixed one on held-out data and is recorded in the model's metadata.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { DataType, decodeModel, encodeModel, tensorFromValues } from '@lowbit/onnx-ir';
import { readFileSync } from 'node:fs';
import type { Model } from '@lowbit/onnx-ir';
import { Tensor } from '@lowbit/runtime';
import { quantizeStatic } from '../quantize-static.js';
import { runnerFor } from '../runner.js';
import { alphaErrors, searchAlpha, SMOOTH_QUANT_ALPHAS, smoothQuant } from '../smooth-quant.js';
import { tensorValuesSync } from '@lowbit/onnx-ir';
import { rand } from '../test-support/mel-frontend.js';
import { sqnrDb } from '../test-support/sqnr.js';

const T = 16, K = 64, N = 32;
const OUTLIERS = new Set([3, 17, 40, 59]);

function model(): Model {
  return {
    irVersion: 8, opsetImports: [{ domain: '', version: 17 }], functions: [], metadataProps: [],
    graph: {
      name: 'outlier-matmul', sparseInitializers: [], valueInfo: [],
      inputs: [{ name: 'x', type: { kind: 'tensor', elemType: DataType.FLOAT, shape: [T, K] } }],
      outputs: [{ name: 'y', type: { kind: 'tensor', elemType: DataType.FLOAT, shape: [T, N] } }],
      initializers: [tensorFromValues('w', DataType.FLOAT, [K, N], rand(K * N, 9).map((v) => v * 0.2))],
      nodes: [{ id: 'mm', name: 'mm', domain: '', opType: 'MatMul', inputs: ['x', 'w'], outputs: ['y'], attributes: [] }],
    },
  };
}

const acts = (s: number): Float32Array => rand(T * K, 200 + s).map((v, i) => (OUTLIERS.has(i % K) ? 100 * v : v));
const dir = mkdtempSync(join(tmpdir(), 'lowbit-sq-'));

describe('SmoothQuant', () => {
  it('same float function; >= 6 dB more SQNR than the same per-tensor config without it', async () => {
    const calib = () => [0, 1, 2, 3, 4, 5].map((s) => ({ x: new Tensor('float32', acts(s), [T, K]) }));
    const held = [10, 11, 12].map((s) => ({ x: new ort.Tensor('float32', acts(s), [T, K]) }));
    const m = model();
    const { model: sm, alphas } = await smoothQuant(m, await runnerFor(m, undefined), calib, 0.5);
    expect([...alphas]).toEqual([['mm', 0.5]]);
    expect(sm.graph.nodes.map((n) => n.opType)).toEqual(['Mul', 'MatMul']);
    expect(await sqnrDb(encodeModel(m), encodeModel(sm), held)).toBeGreaterThan(100);
    await quantizeStatic(m, join(dir, 'plain.onnx'), calib());
    await quantizeStatic(m, join(dir, 'sq.onnx'), calib(), { smoothQuant: 0.5 });
    const before = await sqnrDb(encodeModel(m), join(dir, 'plain.onnx'), held);
    const after = await sqnrDb(encodeModel(m), join(dir, 'sq.onnx'), held);
    await quantizeStatic(m, join(dir, 'search.onnx'), calib(), { smoothQuant: 'search' });
    const searched = await sqnrDb(encodeModel(m), join(dir, 'search.onnx'), held);
    const meta = decodeModel(readFileSync(join(dir, 'search.onnx'))).metadataProps.find((e) => e.key === 'lowbit.smooth_quant');
    const alpha = (JSON.parse(meta!.value) as Record<string, number>).mm;
    console.log(`SmoothQuant per-tensor u8s8 static: none ${before.toFixed(2)} dB; alpha 0.5 ${after.toFixed(2)} dB (+${(after - before).toFixed(2)}); searched alpha ${alpha} ${searched.toFixed(2)} dB (+${(searched - before).toFixed(2)})`);
    expect(after).toBeGreaterThan(before + 6);
    expect(searched).toBeGreaterThan(before + 6);
    expect(searched).toBeGreaterThanOrEqual(after);
    expect(SMOOTH_QUANT_ALPHAS).toContain(alpha);
    // the search is over a real error curve: the grid's errors on the calibration rows span a wide range, and the
    // chosen alpha is its least
    const x = new Float32Array(6 * T * K);
    for (let k = 0; k < 6; k++) x.set(acts(k), k * T * K);
    const amax = new Float64Array(K);
    for (let i = 0; i < x.length; i++) amax[i % K] = Math.max(amax[i % K], Math.abs(x[i]));
    const w = tensorValuesSync(m.graph.initializers[0]).data as Float32Array;
    const errs = alphaErrors(x, amax, w, K, N, {}, SMOOTH_QUANT_ALPHAS);
    console.log(`SmoothQuant layer error by alpha: ${errs.map((e, i) => `${SMOOTH_QUANT_ALPHAS[i]}:${e.toPrecision(3)}`).join(' ')}`);
    expect(Math.max(...errs)).toBeGreaterThan(4 * Math.min(...errs));
    expect(searchAlpha(x, amax, w, K, N, {})).toBe(SMOOTH_QUANT_ALPHAS[errs.indexOf(Math.min(...errs))]);
    expect(alpha).toBe(searchAlpha(x, amax, w, K, N, {}));
    // `true` means search too
    const viaTrue = await quantizeStatic(m, null, calib(), { smoothQuant: true });
    expect(viaTrue.metadataProps.find((e) => e.key === 'lowbit.smooth_quant')?.value).toBe(meta!.value);
  }, 120_000);
});
