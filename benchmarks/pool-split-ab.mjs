#!/usr/bin/env node
// A/B of the native kernels' use of the thread pool on the end-to-end variants of one model (e2e-variant.mjs;
// LOWBIT_PROF_CACHE=DIR keeps the quantized models): B is the build as it is; A is the same sessions with the pool
// argument of the addon calls named below replaced by null (those ops run on the caller alone, as before they took a
// pool). One session per variant (float, static, dynamic), each run as A and as B, rotating A B / B A every round in
// one process so drift and the cache pressure of the other sessions hit both alike; prints wall medians, B/A per
// variant and the int8 / float speed-ups of each side (medians, and 10th percentiles). Output bytes of A and B are compared (they must be equal).
// Usage: node benchmarks/pool-split-ab.mjs [model=bert-shaped] [rounds=60] [threads=2] [calls=gelu,softmax,layerNorm]
import { loadAddon } from '@lowbit/kernels-native';
import { Session, Tensor } from '@lowbit/runtime';
import { e2eVariant } from './e2e-variant.mjs';
import { median } from './support.mjs';

const [name = 'bert-shaped', roundsArg = '60', threadsArg = '2', callsArg = 'gelu,softmax,layerNorm'] = process.argv.slice(2);
const loaded = loadAddon();
if ('error' in loaded) throw new Error(loaded.error);
const addon = loaded.addon;
const side = { a: false };
const strip = (args) => (side.a ? args.map((v) => (v instanceof addon.Pool ? null : v)) : args);
for (const c of callsArg.split(',')) {
  const [cls, method] = c.split('.');
  if (method) {  // a class's method (read-only on the prototype): a subclass that overrides it
    const Base = addon[cls];
    const Sub = class extends Base {};
    Object.defineProperty(Sub.prototype, method, { value(...args) { return Base.prototype[method].apply(this, strip(args)); } });
    addon[cls] = Sub;
  } else {
    const f = addon[c];
    addon[c] = (...args) => f(...strip(args));
  }
}
const kinds = ['float', 'static', 'dynamic'];
const sessions = {};
let input, x;
for (const k of kinds) {
  const v = await e2eVariant(name, k);
  input = v.input;
  x = new Tensor('float32', v.sample(99), v.dims);
  sessions[k] = await Session.create(v.bytes, { threads: Number(threadsArg) });
}
const bytesOf = (r) => Object.values(r).map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('base64')).join();
const same = {};
for (const k of kinds) {
  side.a = true;
  const a = bytesOf(sessions[k].runSync({ [input]: x }));
  side.a = false;
  same[k] = a === bytesOf(sessions[k].runSync({ [input]: x }));
}
const t = Object.fromEntries(kinds.flatMap((k) => [[`${k} A`, []], [`${k} B`, []]]));
for (let w = 0; w < 5; w++) for (const k of kinds) for (const a of [true, false]) { side.a = a; sessions[k].runSync({ [input]: x }); }
for (let r = 0; r < Number(roundsArg); r++) {
  for (const k of kinds) {
    for (const a of r % 2 ? [false, true] : [true, false]) {
      side.a = a;
      const t0 = performance.now();
      sessions[k].runSync({ [input]: x });
      t[`${k} ${a ? 'A' : 'B'}`].push(performance.now() - t0);
    }
  }
}
// The median, and the 10th percentile (on a machine shared with other work, the runs that found the second core free).
const pct = (v, p) => [...v].sort((a, b) => a - b)[Math.floor(p * (v.length - 1))];
const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)]));
const p10 = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, pct(v, 0.1)]));
console.log(`${name}, ${threadsArg} thread(s), A = ${callsArg} without the pool; ${roundsArg} rounds`);
for (const k of kinds) console.log(`  ${k.padEnd(8)} A ${m[`${k} A`].toFixed(3)} ms  B ${m[`${k} B`].toFixed(3)} ms  B/A ${(m[`${k} B`] / m[`${k} A`]).toFixed(3)}  same bytes: ${same[k]}`);
for (const s of ['A', 'B']) console.log(`  ${s}: static ${(m[`float ${s}`] / m[`static ${s}`]).toFixed(2)}x, dynamic ${(m[`float ${s}`] / m[`dynamic ${s}`]).toFixed(2)}x vs float`);
console.log('  10th percentile:');
for (const k of kinds) console.log(`  ${k.padEnd(8)} A ${p10[`${k} A`].toFixed(3)} ms  B ${p10[`${k} B`].toFixed(3)} ms  B/A ${(p10[`${k} B`] / p10[`${k} A`]).toFixed(3)}`);
for (const s of ['A', 'B']) console.log(`  ${s}: static ${(p10[`float ${s}`] / p10[`static ${s}`]).toFixed(2)}x, dynamic ${(p10[`float ${s}`] / p10[`dynamic ${s}`]).toFixed(2)}x vs float`);
