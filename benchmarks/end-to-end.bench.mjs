#!/usr/bin/env node
// End-to-end latency, float vs int8, Lowbit vs onnxruntime-node, in one process.
//
// For ultraface-rfb-320, ppocr-mobile-v2-cls, mnist-8 and a BERT-shaped encoder built here with onnx-ir (4 layers,
// hidden 256, seq 64): quantizes each model with Lowbit (static QDQ, per-channel, 8 seeded calibration inputs; and
// dynamic), then times, alternating A B C ... every round so drift hits all alike:
//   Lowbit float | Lowbit int8 static | Lowbit int8 dynamic | ort float | ort on the same static | ort on the same dynamic
// at 1 thread and at all threads (os.availableParallelism()). Prints medians and the ratios the targets are about:
//   - Lowbit int8 faster than onnxruntime-node float on every model,
//   - Lowbit int8 >= 1.8x Lowbit float on the BERT-shaped model,
//   - Lowbit int8 no slower than onnxruntime-node on the same int8 model.
// Usage: npm run build && node benchmarks/end-to-end.bench.mjs [rounds=15] [--backend auto|native|wasm|js] [--models a,b]
// Not part of `npm test`. Record results with the CPU model in benchmarks/RESULTS.md.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { encodeModel } from '@lowbit/onnx-ir';
import { quantizeDynamic, quantizeStatic } from '@lowbit/quantize';
import { Session, Tensor } from '@lowbit/runtime';
import { bertInput, bertShapedModel } from './bert-shaped.mjs';
import { seeded, median } from './support.mjs';

const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const rounds = Number(args.find((a) => /^\d+$/.test(a)) ?? 15);
const backend = flag('backend', 'auto');
const testdata = process.env.LOWBIT_TESTDATA ?? resolve(import.meta.dirname, '..', '..', 'shared', 'testdata');
const cpu = cpus()[0]?.model ?? 'unknown CPU';
const allThreads = availableParallelism();

const MODELS = [
  { name: 'ultraface-rfb-320', input: 'input', dims: [1, 3, 240, 320], lo: -1, hi: 1 },
  { name: 'ppocr-mobile-v2-cls', input: 'x', dims: [1, 3, 48, 192], lo: -1, hi: 1 },
  { name: 'mnist-8', input: 'Input3', dims: [1, 1, 28, 28], lo: 0, hi: 1 },
  { name: 'bert-shaped', input: 'hidden_states', dims: [1, 64, 256], generated: true },
];
const only = flag('models', undefined)?.split(',');

const n = (dims) => dims.reduce((a, b) => a * b, 1);

async function prepare(spec, dir) {
  const floatBytes = spec.generated ? encodeModel(bertShapedModel()) : readFileSync(join(testdata, 'models', `${spec.name}.onnx`));
  const sample = (i) => (spec.generated ? bertInput(i) : seeded(100 + i, n(spec.dims), spec.lo, spec.hi));
  const calib = Array.from({ length: 8 }, (_, i) => ({ [spec.input]: { dtype: 'float32', data: sample(i), dims: spec.dims } }));
  const staticPath = join(dir, `${spec.name}.qdq.onnx`);
  const dynamicPath = join(dir, `${spec.name}.dyn.onnx`);
  await quantizeStatic(floatBytes, staticPath, calib, { perChannel: true });
  await quantizeDynamic(floatBytes, dynamicPath, {});
  return { floatBytes, staticBytes: readFileSync(staticPath), dynamicBytes: readFileSync(dynamicPath), x: sample(99) };
}

async function benchModel(spec, threads, prepared) {
  const { floatBytes, staticBytes, dynamicBytes, x } = prepared;
  const lowbitOpts = { backend, threads };
  // onnxruntime's intra-op threads spin after each of its runs by default; alternating sides on few cores, that spin
  // takes a core during Lowbit's turn (Lowbit's 2-thread CPU time then reads about twice its wall time). Off for the
  // multi-thread rows (as native-gemm.bench.mjs does); ORT_SPIN=1 restores it.
  const spin = process.env.ORT_SPIN ?? (threads > 1 ? '0' : '1');
  const ortOpts = { executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1, extra: { session: { intra_op: { allow_spinning: spin } } } };
  const sides = [];
  const lowbit = async (label, bytes) => {
    const s = await Session.create(bytes, lowbitOpts);
    sides.push({ label: `${label} [${s.backend}]`, run: () => s.run({ [spec.input]: new Tensor('float32', x, spec.dims) }), times: [] });
  };
  const theirs = async (label, bytes) => {
    try {
      const s = await ort.InferenceSession.create(bytes, ortOpts);
      sides.push({ label, run: () => s.run({ [spec.input]: new ort.Tensor('float32', x, spec.dims) }), times: [] });
    } catch (e) {
      console.log(`  ${label}: onnxruntime-node cannot load it: ${e.message.split('\n')[0]}`);
    }
  };
  await lowbit('lowbit float', floatBytes);
  await lowbit('lowbit int8 static', staticBytes);
  await lowbit('lowbit int8 dynamic', dynamicBytes);
  await theirs('ort float', floatBytes);
  await theirs('ort int8 static (same model)', staticBytes);
  await theirs('ort int8 dynamic (same model)', dynamicBytes);
  for (const s of sides) for (let i = 0; i < 2; i++) await s.run(); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const s of sides) {
      const c = process.cpuUsage();
      const t = performance.now();
      await s.run();
      s.times.push(performance.now() - t);
      const d = process.cpuUsage(c);
      (s.cpu ??= []).push((d.user + d.system) / 1000);
    }
  }
  // Wall time, and the process's CPU time per run (user + system, all threads). On a loaded machine wall time
  // penalises long runs more than short ones (each is preempted more often); at 1 thread CPU time is the fairer
  // latency figure there. With several threads CPU time sums them (not a latency).
  const wall = Object.fromEntries(sides.map((s) => [s.label.replace(/ \[.*\]$/, ''), median(s.times)]));
  const cpuMed = Object.fromEntries(sides.map((s) => [s.label.replace(/ \[.*\]$/, ''), median(s.cpu)]));
  console.log(`${spec.name}, ${threads} thread(s):${' '.repeat(20)}wall ms    cpu ms`);
  const dp = (v) => v.toFixed(v < 1 ? 3 : 2); // sub-millisecond models: one more digit (mnist-8 runs in ~0.05 ms)
  for (const s of sides) console.log(`  ${s.label.padEnd(36)} ${dp(median(s.times)).padStart(10)} ${dp(median(s.cpu)).padStart(9)}`);
  for (const [what, med] of [['wall', wall], ['cpu', cpuMed]]) {
  const ratio = (a, b) => (med[a] !== undefined && med[b] !== undefined ? `${(med[b] / med[a]).toFixed(2)}x` : 'n/a');
  console.log(`  speed-ups by ${what} time (higher is better for Lowbit): int8 static vs ort float ${ratio('lowbit int8 static', 'ort float')}, ` +
    `int8 dynamic vs ort float ${ratio('lowbit int8 dynamic', 'ort float')}, int8 static vs Lowbit float ${ratio('lowbit int8 static', 'lowbit float')}, ` +
    `int8 dynamic vs Lowbit float ${ratio('lowbit int8 dynamic', 'lowbit float')}, static vs ort same model ${ratio('lowbit int8 static', 'ort int8 static (same model)')}, ` +
    `dynamic vs ort same model ${ratio('lowbit int8 dynamic', 'ort int8 dynamic (same model)')}`);
  }
}

console.log(`CPU: ${cpu} (${allThreads} hardware threads); Node ${process.version}; onnxruntime-node ${ort.env.versions?.node ?? ''}; Lowbit backend request: ${backend}; median of ${rounds} alternating rounds; onnxruntime intra-op spinning ${process.env.ORT_SPIN ?? "off for multi-thread rows"}`);
const dir = mkdtempSync(join(tmpdir(), 'lowbit-e2e-'));
try {
  for (const spec of MODELS) {
    if (only && !only.includes(spec.name)) continue;
    const prepared = await prepare(spec, dir);
    for (const threads of [...new Set([1, allThreads])]) await benchModel(spec, threads, prepared);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
