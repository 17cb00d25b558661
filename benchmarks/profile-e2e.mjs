#!/usr/bin/env node
// Profiling helper for end-to-end runs: quantizes one model (as end-to-end.bench.mjs does) and runs one variant
// repeatedly, so `node --cpu-prof benchmarks/profile-e2e.mjs <model> <float|static|dynamic> [runs] [threads]` shows
// where the time goes. Summarise the profile with `node benchmarks/cpuprofile-top.mjs <file>.cpuprofile`.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { encodeModel } from '@lowbit/onnx-ir';
import { quantizeDynamic, quantizeStatic } from '@lowbit/quantize';
import { Session, Tensor } from '@lowbit/runtime';
import { bertInput, bertShapedModel } from './bert-shaped.mjs';

const [name = 'bert-shaped', kind = 'dynamic', runsArg = '20', threadsArg = '1'] = process.argv.slice(2);
const specs = {
  'ultraface-rfb-320': { input: 'input', dims: [1, 3, 240, 320] },
  'ppocr-mobile-v2-cls': { input: 'x', dims: [1, 3, 48, 192] },
  'mnist-8': { input: 'Input3', dims: [1, 1, 28, 28] },
  'bert-shaped': { input: 'hidden_states', dims: [1, 64, 256], generated: true },
};
const spec = specs[name];
const testdata = process.env.LOWBIT_TESTDATA ?? resolve(import.meta.dirname, '..', '..', 'shared', 'testdata');
const n = spec.dims.reduce((a, b) => a * b, 1);
const sample = (i) => (spec.generated ? bertInput(i) : Float32Array.from({ length: n }, (_, j) => Math.sin(i * 7919 + j)));
const floatBytes = spec.generated ? encodeModel(bertShapedModel()) : readFileSync(join(testdata, 'models', `${name}.onnx`));
const dir = mkdtempSync(join(tmpdir(), 'lowbit-prof-'));
// LOWBIT_PROF_CACHE=DIR keeps the quantized model there, so a profiled rerun does not include the quantization.
const cache = process.env.LOWBIT_PROF_CACHE ? join(process.env.LOWBIT_PROF_CACHE, `${name}.${kind}.onnx`) : undefined;
let bytes = floatBytes;
if (cache && existsSync(cache)) {
  bytes = readFileSync(cache);
} else if (kind === 'static') {
  const calib = Array.from({ length: 8 }, (_, i) => ({ [spec.input]: { dtype: 'float32', data: sample(i), dims: spec.dims } }));
  await quantizeStatic(floatBytes, join(dir, 'm.onnx'), calib, { perChannel: true });
  bytes = readFileSync(join(dir, 'm.onnx'));
} else if (kind === 'dynamic') {
  await quantizeDynamic(floatBytes, join(dir, 'm.onnx'), {});
  bytes = readFileSync(join(dir, 'm.onnx'));
}
rmSync(dir, { recursive: true, force: true });
if (cache && !existsSync(cache)) writeFileSync(cache, bytes);
const s = await Session.create(bytes, { backend: process.env.LOWBIT_BACKEND ?? 'auto', threads: Number(threadsArg) });
const x = new Tensor('float32', sample(99), spec.dims);
await s.run({ [spec.input]: x });
const t = performance.now();
const cpu0 = process.cpuUsage();
for (let i = 0; i < Number(runsArg); i++) await s.run({ [spec.input]: x });
// CPU time of the process too: on a loaded machine it moves far less than the wall clock (with 1 thread it is the
// run's own time; with more it sums the threads).
const cpu = process.cpuUsage(cpu0);
const per = (v) => (v / Number(runsArg)).toFixed(2);
console.log(`${name} ${kind} [${s.backend}]: ${per(performance.now() - t)} ms/run (cpu ${per((cpu.user + cpu.system) / 1000)} ms/run)`);
console.log(JSON.stringify(s.optimization?.ops ?? s.optimization ?? {}).slice(0, 1500));
