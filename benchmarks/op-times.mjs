#!/usr/bin/env node
// Per-kernel CPU time of one end-to-end variant (as profile-e2e.mjs builds it): wraps every resolved kernel variant
// with a process CPU-time counter (so other load on the machine does not count; use threads=1) and prints CPU time per
// kernel key (ms/run), plus the run's CPU time left over (executor, pool, builtins).
// Usage: node benchmarks/op-times.mjs <model> <float|static|dynamic> [runs=50] [threads=1]
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { KernelRegistry } from '@lowbit/kernels';
import { encodeModel } from '@lowbit/onnx-ir';
import { quantizeDynamic, quantizeStatic } from '@lowbit/quantize';
import { Session, Tensor } from '@lowbit/runtime';
import { bertInput, bertShapedModel } from './bert-shaped.mjs';

const [name = 'bert-shaped', kind = 'dynamic', runsArg = '50', threadsArg = '1'] = process.argv.slice(2);
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
const cache = process.env.LOWBIT_PROF_CACHE ? join(process.env.LOWBIT_PROF_CACHE, `${name}.${kind}.onnx`) : undefined;
let bytes;
if (cache && existsSync(cache)) bytes = readFileSync(cache);
else {
  const floatBytes = spec.generated ? encodeModel(bertShapedModel()) : readFileSync(join(testdata, 'models', `${name}.onnx`));
  bytes = floatBytes;
  const dir = mkdtempSync(join(tmpdir(), 'lowbit-optime-'));
  if (kind === 'static') {
    const calib = Array.from({ length: 8 }, (_, i) => ({ [spec.input]: { dtype: 'float32', data: sample(i), dims: spec.dims } }));
    await quantizeStatic(floatBytes, join(dir, 'm.onnx'), calib, { perChannel: true });
    bytes = readFileSync(join(dir, 'm.onnx'));
  } else if (kind === 'dynamic') {
    await quantizeDynamic(floatBytes, join(dir, 'm.onnx'), {});
    bytes = readFileSync(join(dir, 'm.onnx'));
  }
  rmSync(dir, { recursive: true, force: true });
  if (cache) writeFileSync(cache, bytes);
}
const times = new Map();
const counting = { on: false };
const original = KernelRegistry.prototype.candidates;
KernelRegistry.prototype.candidates = function (...args) {
  return original.apply(this, args).map((v) => {
    const w = Object.create(v);
    w.create = (node) => {
      const inst = v.create(node);
      const label = `${v.key} (${v.name})`;
      return { run: (ins, ctx) => {
        if (!counting.on) return inst.run(ins, ctx);
        const t = process.cpuUsage();
        try { return inst.run(ins, ctx); } finally { const c = process.cpuUsage(t); const e = times.get(label) ?? { ms: 0, calls: 0 }; e.ms += (c.user + c.system) / 1000; e.calls++; times.set(label, e); }
      }, dispose: inst.dispose?.bind(inst) };
    };
    return w;
  });
};
const s = await Session.create(bytes, { backend: process.env.LOWBIT_BACKEND ?? 'auto', threads: Number(threadsArg) });
const x = new Tensor('float32', sample(99), spec.dims);
for (let i = 0; i < 10; i++) s.runSync({ [spec.input]: x });
const runs = Number(runsArg);
counting.on = true;
const t = process.cpuUsage();
for (let i = 0; i < runs; i++) s.runSync({ [spec.input]: x });
const tc = process.cpuUsage(t);
const total = (tc.user + tc.system) / 1000 / runs;
let kernels = 0;
for (const [, e] of times) kernels += e.ms / runs;
console.log(`${name} ${kind} [${s.backend}]: ${total.toFixed(3)} ms CPU/run, kernels ${kernels.toFixed(3)}, other ${(total - kernels).toFixed(3)}`);
for (const [k, e] of [...times].sort((a, b) => b[1].ms - a[1].ms)) console.log(`${(e.ms / runs).toFixed(3).padStart(8)} ms ${String(e.calls / runs).padStart(4)}x  ${k}`);
