import { basename } from 'node:path';
import { loadModel } from '@lowbit/onnx-ir';
import { Session, Tensor } from '@lowbit/runtime';
import type { Io } from '../io.js';
import { modelInputSpecs } from './model-inputs.js';
import { syntheticFeeds } from '../data/synthetic.js';
import { backendInfo, describeBackend } from './backend-info.js';

interface BenchOptions {
  backend: 'auto' | 'js' | 'wasm' | 'native';
  threads?: number;
  iterations: number;
  warmup: number;
  /** Dims for inputs with dynamic dims, by input name. */
  shape?: Record<string, number[]>;
  json?: boolean;
}

/** `lowbit bench`: runs the model on seeded synthetic inputs and reports latency percentiles and throughput. */
export async function benchCommand(io: Io, modelPath: string, o: BenchOptions): Promise<void> {
  const model = await loadModel(modelPath);
  const specs = modelInputSpecs(model).map((sp) => (o.shape?.[sp.name] ? { ...sp, dims: o.shape[sp.name] } : sp));
  const feeds: Record<string, Tensor> = syntheticFeeds(specs, 1);
  const session = await Session.create(model, { backend: o.backend, ...(o.threads === undefined ? {} : { threads: o.threads }) });
  const backend = backendInfo(session, o.backend);
  // Timed on the backend the session really uses (`backend.backend`), which 'auto' may resolve to js.
  for (let i = 0; i < o.warmup; i++) await session.run(feeds);
  const times: number[] = [];
  for (let i = 0; i < o.iterations; i++) {
    const t0 = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const pct = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))];
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  const result = {
    model: modelPath,
    ...backend,
    iterations: o.iterations,
    meanMs: mean,
    p50Ms: pct(50),
    p90Ms: pct(90),
    p99Ms: pct(99),
    minMs: times[0],
    throughputPerSec: 1000 / mean,
  };
  await session.release();
  if (o.json) {
    io.stdout(JSON.stringify(result) + '\n');
    return;
  }
  io.stdout(`${basename(modelPath)} on ${describeBackend(backend)}, ${o.iterations} runs: mean ${mean.toFixed(2)} ms, p50 ${result.p50Ms.toFixed(2)}, p90 ${result.p90Ms.toFixed(2)}, p99 ${result.p99Ms.toFixed(2)}, ${result.throughputPerSec.toFixed(1)} runs/s\n`);
  for (const d of backend.diagnostics) io.stdout(`  note: ${d}\n`);
}
