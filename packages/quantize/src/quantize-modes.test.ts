/**
 * mnist-8 dynamic and weight-only int8 through the public API (scored on all 10,000 test images in onnxruntime-node
 * against the README's 98.90%), GPTQ weight-only on a transformer-shaped model, and determinism (byte-identical
 * output for the same inputs).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { readMnist, testdataPath } from '@lowbit/testing';
import { decodeModel, verifyErrors } from '@lowbit/onnx-ir';
import type { Feeds } from '@lowbit/calibrators';
import { quantizeDynamic } from './quantize-dynamic.js';
import { quantizeStatic } from './quantize-static.js';
import { quantizeWeightOnly } from './quantize-weight-only.js';
import { METADATA_KEYS } from './metadata.js';
import { accuracy, calibrationFeeds, predictionsBoth } from './test-support/mnist.js';
import { ortRunner } from './test-support/ort-runner.js';
// The transformer-shaped test model is shared with the rewriters' tests (test-only import).
import { SEQ, tokens, transformerBlock } from '../../rewriters/src/test-support/transformer.js';

const MNIST = testdataPath('models', 'mnist-8.onnx');
const dir = mkdtempSync(join(tmpdir(), 'lowbit-modes-'));
const { pixels: images, labels } = readMnist('test', 10_000);

describe('quantizeDynamic / quantizeWeightOnly on mnist-8', () => {
  it('dynamic (MatMulInteger u8s8, ConvInteger u8u8): valid, loads, within 0.2 points of 98.90% on 10k', async () => {
    const out = join(dir, 'dyn.onnx');
    const m = await quantizeDynamic(MNIST, out, { perChannel: true });
    expect(m.graph.nodes.map((n) => n.opType)).toEqual(expect.arrayContaining(['ConvInteger', 'MatMulInteger']));
    const bytes = readFileSync(out);
    expect(verifyErrors(decodeModel(bytes))).toEqual([]);
    const acc = await accuracy(bytes, images, labels);
    console.log('dynamic', acc);
    expect(Math.abs(acc - 98.9)).toBeLessThanOrEqual(0.2);
    const p = await predictionsBoth(bytes, images, 30); // and in Lowbit's runtime
    expect(p.lowbit.filter((c, i) => c === p.ort[i]).length).toBeGreaterThanOrEqual(29);
  });

  it('weight-only int8 (blocked DequantizeLinear, opset 21): valid, loads, within 0.2 points on 10k', async () => {
    const out = join(dir, 'wo8.onnx');
    await quantizeWeightOnly(MNIST, out, { weightType: 'int8', blockSize: 32 });
    const bytes = readFileSync(out);
    const m = decodeModel(bytes);
    expect(verifyErrors(m)).toEqual([]);
    expect(m.opsetImports.find((o) => o.domain === '')!.version).toBe(21);
    const acc = await accuracy(bytes, images, labels);
    console.log('weight-only int8', acc);
    expect(Math.abs(acc - 98.9)).toBeLessThanOrEqual(0.2);
    const p = await predictionsBoth(bytes, images, 30); // and in Lowbit's runtime
    expect(p.lowbit).toEqual(p.ort);
  });
});

describe('weight-only GPTQ through the API', () => {
  it('transformer block: int4 GPTQ (calibration data, act-order) output closer to float than RTN', async () => {
    const f = transformerBlock();
    const data = (): Iterable<Feeds> => Array.from({ length: 32 }, (_, i) => ({ ids: { dtype: 'int64', dims: [1, SEQ], data: tokens(i) } }));
    const rtn = await quantizeWeightOnly(f, join(dir, 'rtn.onnx'), { weightType: 'int4', blockSize: 32 });
    const gptq = await quantizeWeightOnly(f, join(dir, 'gptq.onnx'), { weightType: 'int4', blockSize: 32, algorithm: 'gptq', actOrder: true, calibrationData: data, runner: ortRunner });
    expect(gptq.metadataProps.find((e) => e.key === METADATA_KEYS.calibration)?.value).toMatch(/^[0-9a-f]{64}$/);
    expect(rtn.metadataProps.find((e) => e.key === METADATA_KEYS.calibration)).toBeUndefined();
    const run = async (path: string, i: number) => {
      const s = await ort.InferenceSession.create(readFileSync(path), { executionProviders: ['cpu'] });
      const r = await s.run({ ids: new ort.Tensor('int64', tokens(i), [1, SEQ]) });
      return r.out.data as Float32Array;
    };
    const { encodeModel } = await import('@lowbit/onnx-ir');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'float.onnx'), encodeModel(f));
    let eR = 0, eG = 0;
    for (let i = 200; i < 208; i++) {
      const a = await run(join(dir, 'float.onnx'), i);
      const r = await run(join(dir, 'rtn.onnx'), i);
      const g = await run(join(dir, 'gptq.onnx'), i);
      for (let j = 0; j < a.length; j++) { eR += (a[j] - r[j]) ** 2; eG += (a[j] - g[j]) ** 2; }
    }
    console.log('output squared error rtn', eR, 'gptq', eG);
    expect(eG).toBeLessThan(eR);
  });
});

describe('determinism', () => {
  it('the same inputs give byte-identical output files (static entropy QOperator, dynamic, weight-only)', async () => {
    const data = calibrationFeeds(20);
    const runs = async (k: number) => {
      await quantizeStatic(MNIST, join(dir, `s${k}.onnx`), data, { quantFormat: 'QOperator', perChannel: true, calibrationMethod: 'entropy', runner: ortRunner });
      await quantizeDynamic(MNIST, join(dir, `d${k}.onnx`));
      await quantizeWeightOnly(MNIST, join(dir, `w${k}.onnx`), { weightType: 'uint4' });
    };
    await runs(1);
    await runs(2);
    for (const p of ['s', 'd', 'w']) expect(readFileSync(join(dir, `${p}2.onnx`)).equals(readFileSync(join(dir, `${p}1.onnx`)))).toBe(true);
  });

  it('records tool, mode, options and the calibration-statistics hash; the hash follows the data', async () => {
    const a = await quantizeStatic(MNIST, join(dir, 'h1.onnx'), calibrationFeeds(3), { runner: ortRunner });
    const b = await quantizeStatic(MNIST, join(dir, 'h2.onnx'), calibrationFeeds(100), { runner: ortRunner });
    const get = (m: typeof a, k: string) => m.metadataProps.find((e) => e.key === k)?.value;
    expect(get(a, METADATA_KEYS.tool)).toBe('lowbit/quantize 0.1.0');
    expect(get(a, METADATA_KEYS.mode)).toBe('static');
    expect(JSON.parse(get(a, METADATA_KEYS.options)!)).toEqual({ mode: 'static' });
    expect(get(a, METADATA_KEYS.calibration)).not.toBe(get(b, METADATA_KEYS.calibration));
  });
});
