#!/usr/bin/env node
// A/B of the depthwise lowbit.DynamicQConv epilogue on a dynamic end-to-end variant (e2e-variant.mjs; LOWBIT_PROF_CACHE=DIR
// keeps it), one session at one thread: the depthwise nodes' addon call dwConvScaled as it is (B: the float epilogue in
// the convolution's pass) or replaced by the former sequence (A: dwConv's int32 sums into a buffer, then
// scaleAccumulators), in ABBA order. Prints the depthwise nodes' CPU ms per run (CPU time, so other load on the machine
// counts less), the whole run's, and whether both produce the same output bytes.
// Usage: node benchmarks/dynamic-dw-ab.mjs [ultraface-rfb-320|ppocr-mobile-v2-cls] [rounds=100]
import { KernelRegistry } from '@lowbit/kernels';
import { loadAddon } from '@lowbit/kernels-native';
import { Session, Tensor } from '@lowbit/runtime';
import { e2eVariant } from './e2e-variant.mjs';

const [name = 'ultraface-rfb-320', roundsArg = '100'] = process.argv.slice(2);
const rounds = Number(roundsArg);
const { bytes, input, dims, sample } = await e2eVariant(name, 'dynamic');
const loaded = loadAddon();
if ('error' in loaded) throw new Error(loaded.error);
const addon = loaded.addon;
const fused = addon.dwConvScaled.bind(addon);
let former = false;
const sums = new Map();
addon.dwConvScaled = (kernel, pool, x, batch, geo, w, M, xz, zw, scale, bias, y, kind, lo, hi, p, q) => {
  if (!former) return fused(kernel, pool, x, batch, geo, w, M, xz, zw, scale, bias, y, kind, lo, hi, p, q);
  let acc = sums.get(y.length);
  if (!acc) sums.set(y.length, (acc = new Int32Array(y.length)));
  acc.fill(0); // as the former inner kernel's scratch
  addon.dwConv(kernel, pool, x, batch, geo, w, M, xz, zw, null, 0, acc, null);
  addon.scaleAccumulators(acc, Float32Array.of(scale), bias, batch, M, geo[11] * geo[12], y, kind, lo, hi, p, q);
};
const ms = { A: 0, B: 0, runA: 0, runB: 0 };
let counting = false;
const candidates = KernelRegistry.prototype.candidates;
KernelRegistry.prototype.candidates = function (...args) {
  return candidates.apply(this, args).map((v) => {
    const w = Object.create(v);
    w.create = (node) => {
      const inst = v.create(node);
      const g = node.attrs?.get?.('group');
      if (!v.key.startsWith('lowbit.DynamicQConv') || !(Number(g) > 1)) return inst;
      return {
        run: (ins, ctx) => {
          if (!counting) return inst.run(ins, ctx);
          const c0 = process.cpuUsage();
          try {
            return inst.run(ins, ctx);
          } finally {
            const c = process.cpuUsage(c0);
            ms[former ? 'A' : 'B'] += (c.user + c.system) / 1000;
          }
        },
        dispose: inst.dispose?.bind(inst),
      };
    };
    return w;
  });
};
const s = await Session.create(bytes, { backend: 'native', threads: 1 });
const x = new Tensor('float32', sample(99), dims);
const outs = { A: null, B: null };
for (let i = 0; i < 8; i++) {
  former = i % 2 === 1;
  s.runSync({ [input]: x });
}
counting = true;
for (let i = 0; i < 4 * rounds; i++) {
  former = [true, false, false, true][i % 4];
  const c0 = process.cpuUsage();
  const out = s.runSync({ [input]: x });
  const c = process.cpuUsage(c0);
  ms[former ? 'runA' : 'runB'] += (c.user + c.system) / 1000;
  outs[former ? 'A' : 'B'] = Object.values(out).map((t) => Buffer.from(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)));
}
const n = 2 * rounds;
const same = outs.A.length === outs.B.length && outs.A.every((b, i) => b.equals(outs.B[i]));
console.log(`${name} dynamic, 1 thread, ${n} runs each (ABBA), CPU ms/run:`);
console.log(`  depthwise DynamicQConv: A (int32 sums + scaleAccumulators) ${(ms.A / n).toFixed(3)}, B (dwConvScaled) ${(ms.B / n).toFixed(3)}, A/B ${(ms.A / ms.B).toFixed(2)}`);
console.log(`  whole run: A ${(ms.runA / n).toFixed(3)}, B ${(ms.runB / n).toFixed(3)}; outputs bit-identical: ${same}`);
