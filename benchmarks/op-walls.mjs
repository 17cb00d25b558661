#!/usr/bin/env node
// Per-kernel WALL time of one end-to-end variant (as op-times.mjs, but the wall clock, so a kernel split over the
// pool counts once, as the run waits for it; with threads > 1 this is where the run's latency goes). Also prints the
// run's wall time left over (executor, JS glue). The machine's drift hits all kernels alike; compare shares, or run
// alternating A/Bs for claims.
// Usage: node benchmarks/op-walls.mjs <model> <float|static|dynamic> [runs=200] [threads=2]
import { KernelRegistry } from '@lowbit/kernels';
import { Session, Tensor } from '@lowbit/runtime';
import { e2eVariant } from './e2e-variant.mjs';

const [name = 'bert-shaped', kind = 'static', runsArg = '200', threadsArg = '2'] = process.argv.slice(2);
const { bytes, input, dims, sample } = await e2eVariant(name, kind);
const times = new Map();
const counting = { on: false };
const original = KernelRegistry.prototype.candidates;
const now = () => Number(process.hrtime.bigint()) / 1e6;
KernelRegistry.prototype.candidates = function (...args) {
  return original.apply(this, args).map((v) => {
    const w = Object.create(v);
    w.create = (node) => {
      const inst = v.create(node);
      const label = `${v.key} (${v.name})`;
      return { run: (ins, ctx) => {
        if (!counting.on) return inst.run(ins, ctx);
        const t = now();
        try { return inst.run(ins, ctx); } finally { const e = times.get(label) ?? { ms: [], calls: 0, cur: 0 }; e.cur += now() - t; e.calls++; times.set(label, e); }
      }, dispose: inst.dispose?.bind(inst) };
    };
    return w;
  });
};
const s = await Session.create(bytes, { backend: process.env.LOWBIT_BACKEND ?? 'auto', threads: Number(threadsArg) });
const x = new Tensor('float32', sample(99), dims);
for (let i = 0; i < 20; i++) s.runSync({ [input]: x });
const runs = Number(runsArg);
counting.on = true;
const walls = [];
for (let i = 0; i < runs; i++) {
  const t = now();
  s.runSync({ [input]: x });
  walls.push(now() - t);
  for (const e of times.values()) { e.ms.push(e.cur); e.cur = 0; }
}
const med = (a) => { const b = [...a].sort((p, q) => p - q); return b[b.length >> 1]; };
let kernels = 0;
const rows = [...times].map(([k, e]) => [k, med(e.ms), e.calls / runs]);
for (const [, m] of rows) kernels += m;
const total = med(walls);
console.log(`${name} ${kind} [${s.backend}] ${threadsArg} thr: ${total.toFixed(3)} ms wall/run (median), kernels ${kernels.toFixed(3)} (sum of medians), other ${(total - kernels).toFixed(3)}`);
for (const [k, m, c] of rows.sort((a, b) => b[1] - a[1])) console.log(`${m.toFixed(3).padStart(8)} ms ${String(c).padStart(4)}x  ${k}`);
