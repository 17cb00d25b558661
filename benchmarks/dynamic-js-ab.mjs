#!/usr/bin/env node
// In-process A/B of a change to @lowbit/kernels-native's JS (and addon) on a dynamic end-to-end variant
// (e2e-variant.mjs; LOWBIT_PROF_CACHE=DIR keeps it): session A runs an older copy of the package (a directory with its
// package.json, dist/ and build/Release/lowbit_native.node, placed inside this checkout so that it resolves the same
// @lowbit/kernels), session B this checkout's; one thread each, alternating A B every round (ABBA). Prints wall medians,
// B/A, and whether both give the same output bytes. Check its noise with an A/A (a copy of this checkout as the old
// package): on the shared 2-vCPU AMD EPYC under load (load average 4-7) an A/A gave 0.94 and 0.99, so ratios within
// that band are not evidence; benchmarks/dynamic-addon-ab.mjs (one session, functions switched) is steadier.
// Usage: node benchmarks/dynamic-js-ab.mjs <old package dir> [model=ppocr-mobile-v2-cls] [rounds=400] [threads=1]
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { createNativeBackend } from '@lowbit/kernels-native';
import { Session, Tensor } from '@lowbit/runtime';
import { e2eVariant } from './e2e-variant.mjs';
import { alternate, median, sameOutputs } from './support.mjs';

const [oldDir, name = 'ppocr-mobile-v2-cls', roundsArg = '400', threadsArg = '1'] = process.argv.slice(2);
const old = await import(pathToFileURL(resolve(oldDir, 'dist/index.js')).href);
const threads = Number(threadsArg);
const { bytes, input, dims, sample } = await e2eVariant(name, 'dynamic');
const make = async (create) => {
  const b = create();
  await b.init({ threads });
  return Session.create(bytes, { backends: [b], threads });
};
const sessions = { A: await make(old.createNativeBackend), B: await make(createNativeBackend) };
const x = new Tensor('float32', sample(99), dims);
const outs = {};
for (const [k, s] of Object.entries(sessions)) {
  for (let i = 0; i < 50; i++) outs[k] = s.runSync({ [input]: x });
}
const same = sameOutputs(outs.A, outs.B);
const t = alternate(['A', 'B'], Number(roundsArg), (k) => {
  for (let i = 0; i < 5; i++) sessions[k].runSync({ [input]: x });
}, 5);
const [a, b] = [median(t.A), median(t.B)];
console.log(`${name} ${threads} thr: A ${a.toFixed(3)} ms, B ${b.toFixed(3)} ms, B/A ${(b / a).toFixed(3)}, same output bytes: ${same}`);
