#!/usr/bin/env node
// A/B of the byte-level glue passes on ppocr-mobile-v2-cls static (quantized as end-to-end.bench.mjs does, through
// e2e-variant.mjs; LOWBIT_PROF_CACHE=DIR keeps it): the 'all' passes without sink-maxpool-lookup, fuse-lookup-gate and
// fuse-quantized-pair (A) and with them (B); node counts, a bit-identity check of the output, CPU ms per warm run at one
// thread in ABBA order (CPU time, so other load on the machine counts less). Usage: node benchmarks/ppocr-glue-ab.mjs [rounds=60]
import { PassManager, createPassContext, decodeModel } from '@lowbit/onnx-ir';
import { e2eVariant } from './e2e-variant.mjs';
import { Session, Tensor, optimizationPasses } from '@lowbit/runtime';

const GLUE = ['sink-maxpool-lookup', 'fuse-lookup-gate', 'fuse-quantized-pair'];
const rounds = Number(process.argv[2] ?? 60);
const m = decodeModel((await e2eVariant('ppocr-mobile-v2-cls', 'static')).bytes);
const opt = async (ps) => (await new PassManager(ps, { name: 'ab' }).run(m, createPassContext({}))).model;
const [ma, mb] = [await opt(optimizationPasses('all').filter((p) => !GLUE.includes(p.name))), await opt(optimizationPasses('all'))];
const A = await Session.create(ma, { backend: 'native', threads: 1, graphOptimization: 'none' });
const B = await Session.create(mb, { backend: 'native', threads: 1, graphOptimization: 'none' });
const x = new Tensor('float32', new Float32Array(3 * 48 * 192).map((_, i) => Math.sin(i)), [1, 3, 48, 192]);
const ra = A.runSync({ x });
const rb = B.runSync({ x });
const same = Object.keys(ra).every((k) => Buffer.compare(Buffer.from(ra[k].data.buffer, ra[k].data.byteOffset, ra[k].data.byteLength), Buffer.from(rb[k].data.buffer, rb[k].data.byteOffset, rb[k].data.byteLength)) === 0);
console.log(`nodes: without ${ma.graph.nodes.length}, with ${mb.graph.nodes.length}; outputs ${same ? 'bit-identical' : 'DIFFERENT'}`);
for (let i = 0; i < 100; i++) { A.runSync({ x }); B.runSync({ x }); }
const t = { A: [], B: [] };
for (let r = 0; r < rounds; r++) {
  for (const [k, s] of r % 2 ? [['A', A], ['B', B]] : [['B', B], ['A', A]]) {
    const c = process.cpuUsage();
    for (let i = 0; i < 10; i++) s.runSync({ x });
    const d = process.cpuUsage(c);
    t[k].push((d.user + d.system) / 10000);
  }
}
const med = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
console.log(`ppocr static CPU ms/run, median of ${rounds} ABBA rounds: without ${med(t.A).toFixed(3)}, with ${med(t.B).toFixed(3)} (${(med(t.A) / med(t.B)).toFixed(2)}x); min ${Math.min(...t.A).toFixed(3)} vs ${Math.min(...t.B).toFixed(3)}`);
