#!/usr/bin/env node
// Effect of the runtime's graph optimisation (SessionOptions.graphOptimization) on js-backend latency, in one process:
// ultraface-rfb-320 and ppocr-mobile-v2-cls as float models and as static QDQ models (per-channel u8s8, calibrated by
// quantizeStatic on 4 generated inputs), each run with graphOptimization 'none' | 'basic' | 'all', alternating
// A B C A B C so drift hits every side alike; medians and ratios printed, plus onnxruntime-node (CPU EP, 1 thread) on
// the same model as the peer. Nodes before/after come from `session.optimization`.
//   npx tsc -b tsconfig.build.json && node benchmarks/graph-optimization.bench.mjs [rounds]
// Not part of `npm test`. Figures are noisy while other work shares the machine.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Session, Tensor } from '@lowbit/runtime';
import { quantizeStatic } from '@lowbit/quantize';

const rounds = Number(process.argv[2] ?? 10);
const testdata = process.env.LOWBIT_TESTDATA ?? resolve(import.meta.dirname, '..', '..', 'shared', 'testdata');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function image(dims, seed) {
  const [, c, h, w] = dims;
  const out = new Float32Array(c * h * w);
  for (let k = 0; k < c; k++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    out[(k * h + y) * w + x] = Math.sin(x / (5 + (seed % 7)) + seed + k) * Math.cos(y / (3 + (seed % 4)) - seed);
  }
  return out;
}

async function bench(label, bytes, input, dims) {
  const levels = ['none', 'basic', 'all'];
  const sessions = await Promise.all(levels.map((l) => Session.create(bytes, { backend: 'js', graphOptimization: l })));
  const peer = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  const data = image(dims, 11);
  const runs = [...sessions.map((s) => () => s.run({ [input]: new Tensor('float32', data, dims) })), () => peer.run({ [input]: new ort.Tensor('float32', data, dims) })];
  for (let i = 0; i < 2; i++) for (const r of runs) await r();
  const times = runs.map(() => []);
  for (let k = 0; k < rounds; k++) {
    for (let i = 0; i < runs.length; i++) {
      const t = performance.now();
      await runs[i]();
      times[i].push(performance.now() - t);
    }
  }
  const med = times.map(median);
  console.log(`\n${label}`);
  levels.forEach((l, i) => {
    const o = sessions[i].optimization;
    const ops = o.opsAfter;
    console.log(`  lowbit js ${l.padEnd(5)} ${med[i].toFixed(1).padStart(8)} ms  x${(med[0] / med[i]).toFixed(2)} vs none  nodes ${o.nodesBefore} -> ${o.nodesAfter}  (DQ ${ops.DequantizeLinear ?? 0}, Q ${ops.QuantizeLinear ?? 0}, BN ${ops.BatchNormalization ?? 0}, QLinearConv ${ops.QLinearConv ?? 0})`);
  });
  console.log(`  onnxruntime-node  ${med[3].toFixed(1).padStart(8)} ms  (lowbit all / ort = ${(med[2] / med[3]).toFixed(1)})`);
  return med;
}

console.log(`CPU: ${cpus()[0]?.model} x${cpus().length}; ${rounds} rounds, medians; node ${process.version}`);
const dir = mkdtempSync(join(tmpdir(), 'lowbit-graphopt-'));
for (const c of [{ name: 'ultraface-rfb-320', input: 'input', dims: [1, 3, 240, 320] }, { name: 'ppocr-mobile-v2-cls', input: 'x', dims: [1, 3, 48, 192] }]) {
  const src = resolve(testdata, 'models', `${c.name}.onnx`);
  const out = join(dir, `${c.name}.qdq.onnx`);
  const data = () => Array.from({ length: 4 }, (_, s) => ({ [c.input]: { dtype: 'float32', dims: c.dims, data: image(c.dims, s) } }));
  await quantizeStatic(src, out, data, { perChannel: true });
  await bench(`${c.name} float`, readFileSync(src), c.input, c.dims);
  await bench(`${c.name} static QDQ (per-channel u8s8)`, readFileSync(out), c.input, c.dims);
}
