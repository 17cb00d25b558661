#!/usr/bin/env node
// Float inference latency of @lowbit/runtime (js backend, scalar reference kernels) against onnxruntime-node (CPU EP)
// on mnist-8 and ultraface-rfb-320, in the same process. Runs alternate A B A B so drift (thermal, other load)
// hits both sides alike; each side reports its median over the rounds, and the ratio lowbit/ort is printed.
//   npx tsc -b packages/runtime && node benchmarks/runtime-latency.bench.mjs [rounds]
// Not part of `npm test`.
import { resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Session, Tensor } from '@lowbit/runtime';
import { seeded, median } from './support.mjs';

const rounds = Number(process.argv[2] ?? 20);
const testdata = process.env.LOWBIT_TESTDATA ?? resolve(import.meta.dirname, '..', '..', 'shared', 'testdata');

async function bench(model, input, dims, lo, hi) {
  const path = resolve(testdata, 'models', `${model}.onnx`);
  const data = seeded(7, dims.reduce((a, b) => a * b, 1), lo, hi);
  const ours = await Session.create(path, { backend: 'js' });
  const theirs = await ort.InferenceSession.create(path, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  const a = () => ours.run({ [input]: new Tensor('float32', data, dims) });
  const b = () => theirs.run({ [input]: new ort.Tensor('float32', data, dims) });
  for (let i = 0; i < 3; i++) { await a(); await b(); } // warm-up (JIT, allocator)
  const ta = [];
  const tb = [];
  for (let r = 0; r < rounds; r++) {
    let t = performance.now();
    await a();
    ta.push(performance.now() - t);
    t = performance.now();
    await b();
    tb.push(performance.now() - t);
  }
  const ma = median(ta);
  const mb = median(tb);
  console.log(`${model.padEnd(18)} lowbit(js) ${ma.toFixed(2).padStart(9)} ms   onnxruntime-node(cpu, 1 thread) ${mb.toFixed(2).padStart(8)} ms   ratio ${(ma / mb).toFixed(1)}x`);
}

console.log(`median of ${rounds} alternating rounds each`);
await bench('mnist-8', 'Input3', [1, 1, 28, 28], 0, 1);
await bench('ultraface-rfb-320', 'input', [1, 3, 240, 320], -1, 1);
