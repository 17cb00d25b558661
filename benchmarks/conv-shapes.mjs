#!/usr/bin/env node
// Per-node CPU time of the dense QLinearConv / ConvInteger nodes of one end-to-end variant (as op-times.mjs, but one
// line per node with its shape: Cout x Cin x KH x KW, stride, output plane, group), so that the conv classes (1x1 on
// large planes, the first 3x3 with Cin = 3, 3x3 dense) can be compared before / after a kernel change.
// Usage: node benchmarks/conv-shapes.mjs <model> <float|static|dynamic> [runs=50] [threads=1] [key-substring=Conv]
import { KernelRegistry } from '@lowbit/kernels';
import { Session, Tensor } from '@lowbit/runtime';
import { e2eVariant } from './e2e-variant.mjs';

const [name = 'ultraface-rfb-320', kind = 'static', runsArg = '50', threadsArg = '1', match = 'Conv'] = process.argv.slice(2);
const { bytes, input, dims, sample } = await e2eVariant(name, kind);
const rows = [];
const counting = { on: false };
const original = KernelRegistry.prototype.candidates;
KernelRegistry.prototype.candidates = function (...args) {
  return original.apply(this, args).map((v) => {
    if (!v.key.includes(match)) return v;
    const w = Object.create(v);
    w.create = (node) => {
      const inst = v.create(node);
      const row = { node: node.name, variant: v.name, ms: 0, calls: 0, min: Infinity, shape: '' };
      rows.push(row);
      return { run: (ins, ctx) => {
        if (!counting.on) return inst.run(ins, ctx);
        const t = process.cpuUsage();
        try { return inst.run(ins, ctx); } finally {
          const c = process.cpuUsage(t);
          row.ms += (c.user + c.system) / 1000;
          row.min = Math.min(row.min, (c.user + c.system) / 1000);
          row.calls++;
          if (!row.shape) {
            const wi = v.key.startsWith('QLinearConv') ? 3 : 1;
            const x = ins[0].dims, wd = ins[wi].dims, st = node.attrs.get('strides') ?? [1, 1], g = node.attrs.get('group') ?? 1;
            row.shape = `${wd.join('x')} s${[...st].join('')} g${g} in ${x.slice(1).join('x')}`;
          }
        }
      }, dispose: inst.dispose?.bind(inst) };
    };
    return w;
  });
};
const s = await Session.create(bytes, { backend: process.env.LOWBIT_BACKEND ?? 'auto', threads: Number(threadsArg) });
const x = new Tensor('float32', sample(99), dims);
for (let i = 0; i < 10; i++) s.runSync({ [input]: x });
const runs = Number(runsArg);
counting.on = true;
for (let i = 0; i < runs; i++) s.runSync({ [input]: x });
const by = new Map();
for (const r of rows.filter((r) => r.calls > 0)) {
  console.log(`${(1000 * r.ms / runs).toFixed(1).padStart(7)} us  min ${(1000 * r.min).toFixed(0).padStart(5)} us  ${r.variant.padEnd(20)} ${r.shape}  ${r.node}`);
  const e = by.get(r.variant) ?? [0, 0];
  by.set(r.variant, [e[0] + r.ms / runs, e[1] + r.min]);
}
for (const [v, [ms, min]] of by) console.log(`total ${v}: ${ms.toFixed(3)} ms (sum of per-node minima ${min.toFixed(3)} ms)`);
