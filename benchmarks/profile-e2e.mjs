#!/usr/bin/env node
// Profiling helper for end-to-end runs: quantizes one model (as end-to-end.bench.mjs does) and runs one variant
// repeatedly, so `node --cpu-prof benchmarks/profile-e2e.mjs <model> <float|static|dynamic> [runs] [threads]` shows
// where the time goes. Summarise the profile with `node benchmarks/cpuprofile-top.mjs <file>.cpuprofile`.
import { Session, Tensor } from '@lowbit/runtime';
import { e2eVariant } from './e2e-variant.mjs';

const [name = 'bert-shaped', kind = 'dynamic', runsArg = '20', threadsArg = '1'] = process.argv.slice(2);
const { bytes, input, dims, sample } = await e2eVariant(name, kind);
const spec = { input, dims };
const s = await Session.create(bytes, { backend: process.env.LOWBIT_BACKEND ?? 'auto', threads: Number(threadsArg) });
const x = new Tensor('float32', sample(99), spec.dims);
await s.run({ [spec.input]: x });
const t = performance.now();
const cpu0 = process.cpuUsage();
for (let i = 0; i < Number(runsArg); i++) await s.run({ [spec.input]: x });
// CPU time of the process too: on a loaded machine it moves far less than the wall clock (with 1 thread it is the
// run's own time; with more it sums the threads).
const cpu = process.cpuUsage(cpu0);
const per = (v) => (v / Number(runsArg)).toFixed(2);
console.log(`${name} ${kind} [${s.backend}]: ${per(performance.now() - t)} ms/run (cpu ${per((cpu.user + cpu.system) / 1000)} ms/run)`);
console.log(JSON.stringify(s.optimization?.ops ?? s.optimization ?? {}).slice(0, 1500));
