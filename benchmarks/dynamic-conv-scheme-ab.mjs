#!/usr/bin/env node
// In-process A/B of quantizeDynamic's Conv weight schemes on Lowbit's runtime: A asymmetric (weightSymmetric: false),
// B symmetric (the default, zero point 128), alternating A B / B A each round, with onnxruntime-node's float model
// timed in the same rounds. Prints medians and 10th percentiles, B/A and onnxruntime float / each side.
// Usage: node benchmarks/dynamic-conv-scheme-ab.mjs [ultraface-rfb-320|ppocr-mobile-v2-cls] [rounds=150] [threads=1]
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { quantizeDynamic } from '@lowbit/quantize';
import { encodeModel } from '@lowbit/onnx-ir';
import { Session, Tensor } from '@lowbit/runtime';
import { alternate, median, percentile } from './support.mjs';
const [name = 'ultraface-rfb-320', roundsArg = '150', threadsArg = '1'] = process.argv.slice(2);
const dims = { 'ultraface-rfb-320': [1, 3, 240, 320], 'ppocr-mobile-v2-cls': [1, 3, 48, 192] }[name];
const f = readFileSync(`../shared/testdata/models/${name}.onnx`);
const threads = Number(threadsArg);
const n = dims.reduce((a, b) => a * b, 1);
const x = Float32Array.from({ length: n }, (_, j) => Math.sin(99 * 7919 + j));
const sess = {};
for (const [k, opts] of [['A', { weightSymmetric: false }], ['B', {}]]) {
  const m = await quantizeDynamic(f, null, opts);
  sess[k] = await Session.create(encodeModel(m), { backend: 'auto', threads });
}
const o = await ort.InferenceSession.create(f, { intraOpNumThreads: threads, interOpNumThreads: 1, executionProviders: ['cpu'] });
const input = sess.A.inputNames[0];
const t = new Tensor('float32', x, dims);
const ot = { [o.inputNames[0]]: new ort.Tensor('float32', x, dims) };
for (let i = 0; i < 10; i++) { sess.A.runSync({ [input]: t }); sess.B.runSync({ [input]: t }); await o.run(ot); }
const times = { A: [], B: [], ort: [] };
for (let r = 0; r < Number(roundsArg); r++) {
  for (const k of r % 2 ? ['B', 'A'] : ['A', 'B']) { const t0 = performance.now(); sess[k].runSync({ [input]: t }); times[k].push(performance.now() - t0); }
  const t0 = performance.now(); await o.run(ot); times.ort.push(performance.now() - t0);
}
for (const [l, fn] of [['median', median], ['p10', (v) => percentile(v, 0.1)]]) {
  const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, fn(v)]));
  console.log(`${name} ${threads}t ${l}: asym ${m.A.toFixed(3)} sym ${m.B.toFixed(3)} ort-float ${m.ort.toFixed(3)} ms; sym/asym ${(m.B / m.A).toFixed(3)}; ort/asym ${(m.ort / m.A).toFixed(3)} ort/sym ${(m.ort / m.B).toFixed(3)}`);
}
