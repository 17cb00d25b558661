/**
 * Float vs quantized latency in the page's own runtime (Lowbit, backend 'wasm'): warm-up runs, then the two models
 * alternate (A B A B) so drift hits both alike; the median of each is reported.
 */
import { Session, Tensor } from '@lowbit/runtime';
import type { InputSpec } from './calibration-input.js';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export async function measureLatency(floatBytes: Uint8Array, quantBytes: Uint8Array, spec: InputSpec, x: Float32Array, runs: number): Promise<{ floatMs: number; int8Ms: number; backend: string; isas: readonly string[] }> {
  const f = await Session.create(floatBytes, { backend: 'wasm' });
  const q = await Session.create(quantBytes, { backend: 'wasm' });
  const feeds = { [spec.name]: new Tensor('float32', Float32Array.from(x), [...spec.dims]) };
  for (let i = 0; i < 3; i++) { await f.run(feeds); await q.run(feeds); }
  const tf: number[] = [], tq: number[] = [];
  for (let i = 0; i < runs; i++) {
    let t = performance.now(); await f.run(feeds); tf.push(performance.now() - t);
    t = performance.now(); await q.run(feeds); tq.push(performance.now() - t);
  }
  return { floatMs: median(tf), int8Ms: median(tq), backend: q.backend, isas: q.isas };
}
