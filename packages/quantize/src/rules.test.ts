/**
 * Rules through the public API: op types, node include/exclude, per-node and per-tensor overrides, 16-bit static
 * (opset 21), and Gemm models (opt-mnist). Every output loads in onnxruntime-node.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { qparamsFromRange } from '@lowbit/qparams';
import { readMnist, testdataPath } from '@lowbit/testing';
import { DataType, decodeModel } from '@lowbit/onnx-ir';
import type { Model } from '@lowbit/onnx-ir';
import { quantizeDynamic } from './quantize-dynamic.js';
import { quantizeStatic } from './quantize-static.js';
import { accuracy, calibrationFeeds } from './test-support/mnist.js';

const MNIST = testdataPath('models', 'mnist-8.onnx');
const OPT = testdataPath('models', 'opt-mnist.onnx');
const dir = mkdtempSync(join(tmpdir(), 'lowbit-rules-'));
const data = calibrationFeeds(20);
const { pixels: images, labels } = readMnist('test', 500);
const init = (m: Model, name: string) => m.graph.initializers.find((t) => t.name === name)!;
const loads = async (path: string) => ort.InferenceSession.create(readFileSync(path), { executionProviders: ['cpu'] });

describe('rules', () => {
  it('nodesToExclude (names and predicate) leaves those nodes float; nodesToQuantize and opTypesToQuantize limit them', async () => {
    const byName = await quantizeStatic(MNIST, join(dir, 'ex1.onnx'), data, { nodesToExclude: ['Times212'] });
    const mm = byName.graph.nodes.find((n) => n.opType === 'MatMul')!;
    expect(byName.graph.nodes.find((n) => n.outputs.includes(mm.inputs[1]!))).toBeUndefined(); // weight still a float initializer
    const byPred = await quantizeStatic(MNIST, join(dir, 'ex2.onnx'), data, { nodesToExclude: (n) => n.opType === 'Conv' });
    for (const c of byPred.graph.nodes.filter((n) => n.opType === 'Conv')) expect(init(byPred, c.inputs[1]!).dtype).toBe(DataType.FLOAT);
    const onlyMatMul = await quantizeStatic(MNIST, join(dir, 'ex3.onnx'), data, { opTypesToQuantize: ['MatMul'] });
    // MatMul input and output (read by the Add) are quantized; no Conv input is
    expect(onlyMatMul.graph.nodes.filter((n) => n.opType === 'QuantizeLinear').map((n) => n.inputs[0])).toEqual(['Pooling160_Output_0_reshape0', 'Times212_Output_0']);
    const only = await quantizeStatic(MNIST, join(dir, 'ex4.onnx'), data, { nodesToQuantize: ['Convolution28'] });
    const qConvs = only.graph.nodes.filter((n) => n.opType === 'Conv' && init(only, n.inputs[1]!) === undefined);
    expect(qConvs.map((n) => n.name)).toEqual(['Convolution28']); // its weight comes from a DequantizeLinear
    for (const p of ['ex1', 'ex2', 'ex3', 'ex4']) await loads(join(dir, `${p}.onnx`));
  });

  it('per-node override (uint8 weights, per-tensor) and per-tensor explicit scale/zero point', async () => {
    const m = await quantizeStatic(MNIST, join(dir, 'ov.onnx'), data, {
      perChannel: true,
      nodeOverrides: { Convolution28: { weightType: 'uint8', weightScheme: 'asymmetric', perChannel: false } },
      tensorOverrides: { Input3: { scale: 1 / 255, zeroPoint: 0 } },
    });
    const conv = m.graph.nodes.find((n) => n.name === 'Convolution28')!;
    const dqw = m.graph.nodes.find((n) => n.outputs.includes(conv.inputs[1]!))!;
    expect(init(m, dqw.inputs[0]!).dtype).toBe(DataType.UINT8);
    expect(init(m, dqw.inputs[1]!).dims).toEqual([]);
    const q = m.graph.nodes.find((n) => n.opType === 'QuantizeLinear' && n.inputs[0] === 'Input3')!;
    const s = init(m, q.inputs[1]!);
    expect(s.kind === 'inline' && new Float32Array(s.data.slice().buffer)[0]).toBe(Math.fround(1 / 255));
    // a range override goes through qparams
    const r = await quantizeStatic(MNIST, join(dir, 'ov2.onnx'), data, { tensorOverrides: { Input3: { range: { min: 0, max: 2 } } } });
    const q2 = r.graph.nodes.find((n) => n.opType === 'QuantizeLinear' && n.inputs[0] === 'Input3')!;
    const s2 = init(r, q2.inputs[1]!);
    expect(s2.kind === 'inline' && new Float32Array(s2.data.slice().buffer)[0]).toBe(qparamsFromRange({ min: 0, max: 2 }, { dtype: 'uint8', scheme: 'asymmetric' }).scale);
    expect(Math.abs((await accuracy(readFileSync(join(dir, 'ov.onnx')), images, labels)) - (await accuracy(readFileSync(MNIST), images, labels)))).toBeLessThanOrEqual(1);
  });

  it('16-bit static QDQ (uint16 activations, int16 weights) is written at opset 21 and loads', async () => {
    const m = await quantizeStatic(MNIST, join(dir, 'a16.onnx'), data, { activationType: 'uint16', weightType: 'int16', perChannel: true });
    expect(m.opsetImports.find((o) => o.domain === '')!.version).toBe(21);
    const acc = await accuracy(readFileSync(join(dir, 'a16.onnx')), images, labels);
    expect(Math.abs(acc - (await accuracy(readFileSync(MNIST), images, labels)))).toBeLessThanOrEqual(0.2);
  });

  it('opt-mnist (Gemm): static QDQ/QOperator and dynamic load and keep accuracy', async () => {
    const ref = await accuracy(readFileSync(OPT), images, labels);
    await quantizeStatic(OPT, join(dir, 'opt-qdq.onnx'), data, { perChannel: true });
    await quantizeStatic(OPT, join(dir, 'opt-qop.onnx'), data, { perChannel: true, quantFormat: 'QOperator' });
    const dyn = await quantizeDynamic(OPT, join(dir, 'opt-dyn.onnx'), { perChannel: true });
    expect(dyn.graph.nodes.some((n) => n.opType === 'MatMulInteger')).toBe(true);
    for (const p of ['opt-qdq', 'opt-qop', 'opt-dyn']) {
      const acc = await accuracy(readFileSync(join(dir, `${p}.onnx`)), images, labels);
      console.log(p, acc, 'float', ref);
      expect(Math.abs(acc - ref)).toBeLessThanOrEqual(1);
    }
    expect(decodeModel(readFileSync(join(dir, 'opt-qdq.onnx'))).graph.nodes.some((n) => n.opType === 'Gemm')).toBe(true);
  });

  it('an onnxruntime-style CalibrationDataReader (getNext/rewind) gives the same bytes as an iterable; reduceRange keeps weights 7-bit', async () => {
    const feeds = [...calibrationFeeds(10)()];
    let i = 0;
    const reader = { getNext: () => (i < feeds.length ? feeds[i++] : null), rewind: () => { i = 0; } };
    await quantizeStatic(MNIST, join(dir, 'reader.onnx'), reader, { calibrationMethod: 'percentile', perChannel: true });
    await quantizeStatic(MNIST, join(dir, 'iter.onnx'), () => feeds, { calibrationMethod: 'percentile', perChannel: true });
    expect(readFileSync(join(dir, 'reader.onnx')).equals(readFileSync(join(dir, 'iter.onnx')))).toBe(true);
    const rr = await quantizeStatic(MNIST, join(dir, 'rr.onnx'), data, { reduceRange: true, perChannel: true });
    for (const n of rr.graph.nodes.filter((x) => x.opType === 'DequantizeLinear')) {
      const w = init(rr, n.inputs[0]!);
      if (!w || w.dtype !== DataType.INT8 || w.kind !== 'inline') continue;
      for (const v of new Int8Array(w.data.slice().buffer)) expect(v >= -64 && v <= 63).toBe(true);
    }
    await loads(join(dir, 'rr.onnx'));
  });

  it('regression (found by options.prop): excluded MaxPool after int8 activations with int4 weights (opset 21) loads', async () => {
    const path = join(dir, 'reg1.onnx');
    const m = await quantizeStatic(MNIST, path, data, { activationType: 'int8', weightType: 'int4', nodesToExclude: ['Convolution110', 'Pooling66'] });
    // the excluded MaxPool is untouched and followed by a lossless Q/DQ pair with its input's parameters
    const pool = m.graph.nodes.find((n) => n.name === 'Pooling66')!;
    const q = m.graph.nodes.find((n) => n.opType === 'QuantizeLinear' && n.inputs[0] === pool.outputs[0])!;
    const dqIn = m.graph.nodes.find((n) => n.outputs[0] === pool.inputs[0])!;
    expect(q.inputs.slice(1)).toEqual(dqIn.inputs.slice(1));
    const s = await loads(path);
    const r = await s.run({ Input3: new ort.Tensor('float32', images.subarray(0, 784), [1, 1, 28, 28]) });
    expect(Array.from(r[s.outputNames[0]].data as Float32Array).every(Number.isFinite)).toBe(true);
  });
});
