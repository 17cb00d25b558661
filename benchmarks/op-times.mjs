#!/usr/bin/env node
// Per-kernel CPU time of one end-to-end variant (as profile-e2e.mjs builds it): wraps every resolved kernel variant
// with a process CPU-time counter (so other load on the machine does not count; use threads=1) and prints CPU time per
// kernel key (ms/run), plus the run's CPU time left over (executor, pool, builtins).
// Usage: node benchmarks/op-times.mjs <model> <float|static|dynamic> [runs=50] [threads=1]
import { KernelRegistry } from '@lowbit/kernels';
import { Session, Tensor } from '@lowbit/runtime';
import { e2eVariant } from './e2e-variant.mjs';

const [name = 'bert-shaped', kind = 'dynamic', runsArg = '50', threadsArg = '1'] = process.argv.slice(2);
const { bytes, input, dims, sample } = await e2eVariant(name, kind);
const spec = { input, dims };
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
