#!/usr/bin/env node
// Native backend, 1 thread vs 2 threads on the same model, alternating run by run (so drift and other load hit both
// alike): median wall time and process CPU time (all threads) per run, and the 2t / 1t wall ratio (issue #14: 2 threads
// should be no slower than 1). Models are e2e-variant.mjs ones, as name:kind (float | static | dynamic).
// Usage: node benchmarks/threads-one-vs-two.bench.mjs [model:kind,...] [rounds=40]   (LOWBIT_PROF_CACHE=DIR keeps the
// quantized models). Not part of `npm test`; record results with the CPU model and load average.
import { Session, Tensor } from '@lowbit/runtime';
import { e2eVariant } from './e2e-variant.mjs';
const models = (process.argv[2] ?? 'ultraface-rfb-320:float,ultraface-rfb-320:static,mnist-8:float,ppocr-mobile-v2-cls:float,bert-shaped:float').split(',');
const rounds = Number(process.argv[3] ?? 40);
const med = (a) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };
for (const m of models) {
  const [name, kind] = m.split(':');
  const v = await e2eVariant(name, kind);
  const x = new Tensor('float32', v.sample(99), v.dims);
  const ss = [await Session.create(v.bytes, { backend: 'native', threads: 1 }), await Session.create(v.bytes, { backend: 'native', threads: 2 })];
  for (const s of ss) for (let i = 0; i < 5; i++) s.runSync({ [v.input]: x });
  const w = [[], []], c = [[], []];
  for (let r = 0; r < rounds; r++) for (const k of r % 2 ? [1, 0] : [0, 1]) {
    const c0 = process.cpuUsage(); const t0 = performance.now();
    ss[k].runSync({ [v.input]: x });
    w[k].push(performance.now() - t0); const cc = process.cpuUsage(c0); c[k].push((cc.user + cc.system) / 1000);
  }
  console.log(`${m.padEnd(28)} 1t ${med(w[0]).toFixed(2)} ms (cpu ${med(c[0]).toFixed(2)})  2t ${med(w[1]).toFixed(2)} ms (cpu ${med(c[1]).toFixed(2)})  ratio ${(med(w[1]) / med(w[0])).toFixed(3)}`);
  for (const s of ss) s.dispose?.();
}
