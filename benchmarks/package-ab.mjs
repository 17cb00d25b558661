#!/usr/bin/env node
// In-process A/B of two builds of @lowbit/kernels-native on the float, static and dynamic end-to-end variants of one
// model (e2e-variant.mjs; LOWBIT_PROF_CACHE=DIR keeps the quantized models): A runs an older copy of the package (a
// directory inside this checkout with its package.json, dist/ and build/Release/lowbit_native.node, so that it resolves
// the same @lowbit/kernels), B this checkout's. Six sessions (each its own backend and pool, as end-to-end.bench.mjs
// makes them), every round running each variant as A and as B (A B / B A alternating), so drift and the cache pressure
// of the other sessions hit both alike. Prints wall medians and 10th percentiles (on a shared machine, the runs that
// found the other core free), B/A per variant, int8 / float speed-ups of each side, and whether A and B give the same
// output bytes.
// Usage: node benchmarks/package-ab.mjs <old package dir> [model=bert-shaped] [rounds=200] [threads=2]
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { createNativeBackend } from '@lowbit/kernels-native';
import { Session, Tensor } from '@lowbit/runtime';
import { e2eVariant } from './e2e-variant.mjs';
import { alternate, copyOutputs, printVariantAB, sameOutputs } from './support.mjs';

const [oldDir, name = 'bert-shaped', roundsArg = '200', threadsArg = '2'] = process.argv.slice(2);
const old = await import(pathToFileURL(resolve(oldDir, 'dist/index.js')).href);
const threads = Number(threadsArg);
const kinds = ['float', 'static', 'dynamic'];
const sessions = {};
let input, x;
for (const k of kinds) {
  const v = await e2eVariant(name, k);
  input = v.input;
  x = new Tensor('float32', v.sample(99), v.dims);
  for (const [side, create] of [['A', old.createNativeBackend], ['B', createNativeBackend]]) {
    const b = create();
    await b.init({ threads });
    sessions[`${k} ${side}`] = await Session.create(v.bytes, { backends: [b], threads });
  }
}
const same = Object.fromEntries(kinds.map((k) => [k, sameOutputs(copyOutputs(sessions[`${k} A`].runSync({ [input]: x })), sessions[`${k} B`].runSync({ [input]: x }))]));
for (let w = 0; w < 10; w++) for (const s of Object.values(sessions)) s.runSync({ [input]: x });
const t = alternate(kinds.flatMap((k) => [`${k} A`, `${k} B`]), Number(roundsArg), (k) => sessions[k].runSync({ [input]: x }));
console.log(`${name}, ${threads} thread(s), A = ${oldDir}, B = this checkout; ${roundsArg} rounds`);
printVariantAB(t, kinds, same);
