#!/usr/bin/env node
// A/B of the runtime's fuse-lookup-gate (now in all) on ppocr-mobile-v2-cls static (quantized as end-to-end.bench.mjs does, through
// e2e-variant.mjs; LOWBIT_PROF_CACHE=DIR keeps it): the 'all' passes with and without it, a bit-identity check of the output, and CPU per warm run, one thread, ABBA order.
import { PassManager, createPassContext, decodeModel } from '@lowbit/onnx-ir';
import { e2eVariant } from './e2e-variant.mjs';
import { Session, Tensor, optimizationPasses, fuseLookupGate } from '@lowbit/runtime';
const m = decodeModel((await e2eVariant('ppocr-mobile-v2-cls', 'static')).bytes);
const passes = optimizationPasses('all');
const without = passes.filter((p) => p.name !== fuseLookupGate.name);
const opt = async (ps) => (await new PassManager(ps, { name: 'x' }).run(m, createPassContext({}))).model;
const A = await Session.create(await opt(without), { backend: 'native', threads: 1, graphOptimization: 'none' });
const B = await Session.create(await opt(passes), { backend: 'native', threads: 1, graphOptimization: 'none' });
const x = new Tensor('float32', new Float32Array(3 * 48 * 192).map((_, i) => Math.sin(i)), [1, 3, 48, 192]);
const ra = A.runSync({ x }), rb = B.runSync({ x });
for (const k in ra) console.log(k, Buffer.compare(Buffer.from(ra[k].data.buffer), Buffer.from(rb[k].data.buffer)) === 0 ? 'bit-identical' : 'DIFFERENT');
for (let i = 0; i < 100; i++) { A.runSync({ x }); B.runSync({ x }); }
const t = { A: [], B: [] };
for (let r = 0; r < 60; r++) for (const [k, s] of (r % 2 ? [['A', A], ['B', B]] : [['B', B], ['A', A]])) { const c = process.cpuUsage(); for (let i = 0; i < 10; i++) s.runSync({ x }); const d = process.cpuUsage(c); t[k].push((d.user + d.system) / 10000); }
const med = (a) => a.sort((x, y) => x - y)[a.length >> 1];
console.log(`ppocr static CPU ms/run median of 60 ABBA rounds: without gate fusion ${med(t.A).toFixed(3)}, with ${med(t.B).toFixed(3)}; min ${Math.min(...t.A).toFixed(3)} vs ${Math.min(...t.B).toFixed(3)}`);
