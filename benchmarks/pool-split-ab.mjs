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
import { alternate, copyOutputs, printVariantAB, sameOutputs } from './support.mjs';

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
const same = {};
for (const k of kinds) {
  side.a = true;
  const a = copyOutputs(sessions[k].runSync({ [input]: x }));
  side.a = false;
  same[k] = sameOutputs(a, sessions[k].runSync({ [input]: x }));
}
for (let w = 0; w < 5; w++) for (const k of kinds) for (const a of [true, false]) { side.a = a; sessions[k].runSync({ [input]: x }); }
const t = alternate(kinds.flatMap((k) => [`${k} A`, `${k} B`]), Number(roundsArg), (key) => {
  const [k, s] = key.split(' ');
  side.a = s === 'A';
  sessions[k].runSync({ [input]: x });
});
console.log(`${name}, ${threadsArg} thread(s), A = ${callsArg} without the pool; ${roundsArg} rounds`);
printVariantAB(t, kinds, same);
