#!/usr/bin/env node
// Fresh graph outputs and page faults: a session of one MatMulInteger (M=128 K=768 N=3072, u8 x i8 -> i32, B an
// initializer, native backend, 1 thread) run in a tight loop; each run returns a fresh 1.5 MiB int32 output. Prints
// the median and p90 of `runs` runs (after 100 warm-up runs: the heap reaches its steady size), the minor page faults per run (process.resourceUsage)
// the system CPU time per run and RSS. Run it in alternating processes to compare the malloc tuning on and off:
//   node benchmarks/output-pages.bench.mjs [runs]                       (tuning on, the default)
//   LOWBIT_MALLOC_TUNING=0 node benchmarks/output-pages.bench.mjs [runs] (glibc's defaults)
//   LOWBIT_RECYCLE=1 node benchmarks/output-pages.bench.mjs [runs]      (each run's output handed back: session.recycle)
//   node benchmarks/output-pages.bench.mjs [runs] ab                    (the three, as child processes, alternated 3 times)
// Not part of `npm test`.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DataType } from '@lowbit/onnx-ir';
import { createNativeBackend } from '@lowbit/kernels-native';
import { Session, Tensor } from '@lowbit/runtime';
import { rng } from './support.mjs';

const runs = Number(process.argv[2] ?? 200);
if (process.argv[3] === 'ab') {
  const cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
  console.log(`${cpu}, Node ${process.version}, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  for (let round = 0; round < 3; round++) {
    for (const [tuning, recycle] of [['0', '0'], ['1', '0'], ['0', '1']]) {
      const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), String(runs)], { env: { ...process.env, LOWBIT_MALLOC_TUNING: tuning, LOWBIT_RECYCLE: recycle }, encoding: 'utf8' });
      process.stdout.write(`round ${round + 1} LOWBIT_MALLOC_TUNING=${tuning} LOWBIT_RECYCLE=${recycle}: ${r.stdout.trim()}${r.stderr ? ` ${r.stderr.trim()}` : ''}\n`);
    }
  }
  process.exit(0);
}

const M = 128, K = 768, N = 3072;
const r = rng(7);
const a = Uint8Array.from({ length: M * K }, () => Math.floor(r() * 256));
const b = Int8Array.from({ length: K * N }, () => Math.floor(r() * 256) - 128);
const vi = (name, elemType, dims) => ({ name, type: { kind: 'tensor', elemType, shape: dims.map((d) => ({ kind: 'value', value: d })) } });
const model = {
  irVersion: 8, opsetImports: [{ domain: '', version: 13 }], functions: [], metadataProps: [],
  graph: {
    name: 'g', inputs: [vi('a', DataType.UINT8, [M, K])], outputs: [vi('y', DataType.INT32, [M, N])], sparseInitializers: [], valueInfo: [],
    initializers: [{ kind: 'inline', name: 'b', dtype: DataType.INT8, dims: [K, N], data: new Uint8Array(b.buffer), encoding: 'raw' }],
    nodes: [{ id: 'n', name: 'n', opType: 'MatMulInteger', domain: '', inputs: ['a', 'b'], outputs: ['y'], attributes: [] }],
  },
};
const backend = createNativeBackend();
await backend.init({ threads: 1 });
const session = Session.fromModel(model, { backend: 'native', backends: [backend] });
const feeds = { a: new Tensor('uint8', a, [M, K]) };
let check = 0;
const recycle = process.env.LOWBIT_RECYCLE === '1';
let prev;
const run = () => {
  if (recycle && prev) session.recycle(prev);
  return (prev = session.runSync(feeds));
};
for (let i = 0; i < 100; i++) check ^= run().y.data[i];
const times = new Float64Array(runs);
const f0 = process.resourceUsage().minorPageFault;
const c0 = process.cpuUsage();
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  const y = run().y.data;
  times[i] = performance.now() - t;
  check ^= y[i % y.length];
}
const faults = (process.resourceUsage().minorPageFault - f0) / runs;
const sys = process.cpuUsage(c0).system / 1000 / runs;
times.sort();
const q = (p) => times[Math.min(runs - 1, Math.floor(p * runs))].toFixed(3);
const tuningLine = backend.diagnostics.find((d) => d.startsWith('malloc')) ?? 'no malloc diagnostic';
console.log(`median ${q(0.5)} ms, p90 ${q(0.9)} ms, min ${times[0].toFixed(3)} ms, ${faults.toFixed(0)} minor faults/run, ${sys.toFixed(3)} ms system CPU/run, RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB | ${tuningLine} (${check & 1})`);
