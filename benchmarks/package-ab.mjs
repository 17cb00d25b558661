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
import { median } from './support.mjs';

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
const hex = (o) => Object.values(o).map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('hex')).join();
const same = Object.fromEntries(kinds.map((k) => [k, hex(sessions[`${k} A`].runSync({ [input]: x })) === hex(sessions[`${k} B`].runSync({ [input]: x }))]));
for (let w = 0; w < 10; w++) for (const s of Object.values(sessions)) s.runSync({ [input]: x });
const t = Object.fromEntries(Object.keys(sessions).map((k) => [k, []]));
for (let r = 0; r < Number(roundsArg); r++) {
  for (const k of kinds) {
    for (const side of r % 2 ? ['B', 'A'] : ['A', 'B']) {
      const t0 = performance.now();
      sessions[`${k} ${side}`].runSync({ [input]: x });
      t[`${k} ${side}`].push(performance.now() - t0);
    }
  }
}
const pct = (v, p) => [...v].sort((a, b) => a - b)[Math.floor(p * (v.length - 1))];
console.log(`${name}, ${threads} thread(s), A = ${oldDir}, B = this checkout; ${roundsArg} rounds`);
for (const [label, f] of [['median', median], ['10th percentile', (v) => pct(v, 0.1)]]) {
  const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, f(v)]));
  console.log(` ${label}:`);
  for (const k of kinds) console.log(`  ${k.padEnd(8)} A ${m[`${k} A`].toFixed(3)} ms  B ${m[`${k} B`].toFixed(3)} ms  B/A ${(m[`${k} B`] / m[`${k} A`]).toFixed(3)}  same bytes: ${same[k]}`);
  for (const s of ['A', 'B']) console.log(`  ${s}: static ${(m[`float ${s}`] / m[`static ${s}`]).toFixed(2)}x, dynamic ${(m[`float ${s}`] / m[`dynamic ${s}`]).toFixed(2)}x vs float`);
}
