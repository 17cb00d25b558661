#!/usr/bin/env node
// In-process A/B of a native addon change on a dynamic end-to-end variant (e2e-variant.mjs; LOWBIT_PROF_CACHE=DIR keeps
// it): one session at one thread whose addon functions named on the command line run either this checkout's build (B)
// or an older build of lowbit_native.node (A, e.g. a copy taken from main before the change), switched every round in
// ABBA order. A gets null for the pool argument (one thread: the same work). Prints wall medians,
// B/A, and whether both give the same output bytes.
// Usage: node benchmarks/dynamic-addon-ab.mjs <old lowbit_native.node> <fn[,fn...]> [model=ppocr-mobile-v2-cls] [rounds=400]
import { createRequire } from 'node:module';
import { loadAddon } from '@lowbit/kernels-native';
import { Session, Tensor } from '@lowbit/runtime';
import { e2eVariant } from './e2e-variant.mjs';
import { alternate, copyOutputs, median, sameOutputs } from './support.mjs';

const [oldPath, fns = 'dynamicQuantizeLinear', name = 'ppocr-mobile-v2-cls', roundsArg = '400'] = process.argv.slice(2);
const old = createRequire(import.meta.url)(oldPath);
const loaded = loadAddon();
if ('error' in loaded) throw new Error(loaded.error);
const addon = loaded.addon;
let useOld = false;
for (const fn of fns.split(',')) {
  const fresh = addon[fn].bind(addon);
  const former = old[fn].bind(old);
  // the pool argument's position (an object of this build's addon: A gets null, the same one-thread work)
  const poolAt = { dynamicQuantizeLinear: 4, dwConvScaled: 1, dwConv: 1, dwConvF: 1 }[fn]; // (maxPool, globalAvgPool, binary: none)
  const oldArgs = (a) => (poolAt === undefined ? a : a.map((v, i) => (i === poolAt ? null : v)));
  addon[fn] = (...a) => (useOld ? former(...oldArgs(a)) : fresh(...a));
}
const { bytes, input, dims, sample } = await e2eVariant(name, 'dynamic');
const s = await Session.create(bytes, { threads: 1 });
const x = new Tensor('float32', sample(99), dims);
const outs = {};
for (const k of ['A', 'B']) {
  useOld = k === 'A';
  for (let i = 0; i < 50; i++) outs[k] = s.runSync({ [input]: x });
  outs[k] = copyOutputs(outs[k]);
}
const same = sameOutputs(outs.A, outs.B);
const t = alternate(['A', 'B'], Number(roundsArg), (k) => {
  useOld = k === 'A';
  for (let i = 0; i < 5; i++) s.runSync({ [input]: x });
}, 5);
const [a, b] = [median(t.A), median(t.B)];
console.log(`${name} 1 thr, ${fns}: A ${a.toFixed(3)} ms, B ${b.toFixed(3)} ms, B/A ${(b / a).toFixed(3)}, same output bytes: ${same}`);
