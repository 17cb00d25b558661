import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testdataPath, readMnist } from '@lowbit/testing';
import { Session, Tensor } from '@lowbit/runtime';
import { quantizeDynamic, quantizeStatic, quantizeWeightOnly } from './index.js';
import { calibrationFeeds } from './test-support/mnist.js';

// The same inputs and options give a byte-identical quantized model, and the runtime's integer results do not depend
// on the thread count.
const MNIST = testdataPath('models', 'mnist-8.onnx');
const tmp = mkdtempSync(join(tmpdir(), 'lowbit-determinism-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function twice(q: (out: string) => Promise<unknown>, name: string): Promise<[Buffer, Buffer]> {
  await q(join(tmp, `${name}-1.onnx`));
  await q(join(tmp, `${name}-2.onnx`));
  return [readFileSync(join(tmp, `${name}-1.onnx`)), readFileSync(join(tmp, `${name}-2.onnx`))];
}

describe('quantization is deterministic', () => {
  it('two static (QDQ per-channel and QOperator, entropy), dynamic and weight-only runs are byte-identical', async () => {
    const runs: [string, (out: string) => Promise<unknown>][] = [
      ['static-qdq', (out) => quantizeStatic(MNIST, out, calibrationFeeds(8), { perChannel: true })],
      ['static-qop-entropy', (out) => quantizeStatic(MNIST, out, calibrationFeeds(8), { quantFormat: 'QOperator', calibrationMethod: 'entropy' })],
      ['dynamic', (out) => quantizeDynamic(MNIST, out)],
      ['weight-only', (out) => quantizeWeightOnly(MNIST, out, { blockSize: 32 })],
    ];
    for (const [name, q] of runs) {
      const [a, b] = await twice(q, name);
      expect(a.length, name).toBeGreaterThan(1000);
      expect(a.equals(b), `${name}: the two outputs differ`).toBe(true);
    }
  }, 180_000);
});

describe('integer results do not depend on the thread count', () => {
  it('a QOperator int8 mnist-8 gives bit-identical outputs and integer intermediates with threads 1 and 2', async () => {
    const out = join(tmp, 'threads.onnx');
    await quantizeStatic(MNIST, out, calibrationFeeds(8), { quantFormat: 'QOperator' });
    const bytes = new Uint8Array(readFileSync(out));
    const images = readMnist('test', 4).pixels;
    const feeds = [0, 1, 2, 3].map((i) => ({ Input3: new Tensor('float32', images.slice(i * 784, (i + 1) * 784), [1, 1, 28, 28]) }));
    // Every integer value the graph computes (QLinearConv/QLinearMatMul outputs, quantized activations) and the outputs.
    const probe = await Session.create(bytes, { backend: 'js' });
    const first = await probe.run(feeds[0]!);
    const names = [...probe.outputNames];
    const ints: string[] = [];
    const observe = await Session.create(bytes, { backend: 'js', onValue: (name, t) => { if (t.dtype === 'uint8' || t.dtype === 'int8' || t.dtype === 'int32') ints.push(name); } });
    await observe.run(feeds[0]!);
    expect(ints.length).toBeGreaterThan(5);
    expect(first[names[0]!]!.dims).toEqual([1, 10]);
    const tested: string[] = [];
    for (const backend of ['auto', 'wasm', 'native'] as const) {
      // `keep`: the optimiser may fuse an intermediate away (QLinearMatMul -> DequantizeLinear -> Add); these stay fetchable.
      const sessions = await Promise.all([1, 2].map((threads) => Session.create(bytes, { backend, threads, keep: ints }).catch(() => undefined)));
      if (sessions.some((s) => s === undefined)) continue; // that backend does not load on this machine
      const [one, two] = sessions as [Session, Session];
      tested.push(`${backend}:${one.backend}/${two.threads}`);
      for (const f of feeds) {
        const a = await one.run(f, { fetches: [...names, ...ints] });
        const b = await two.run(f, { fetches: [...names, ...ints] });
        for (const n of [...names, ...ints]) {
          expect(b[n]!.dims, `${backend} ${n}`).toEqual(a[n]!.dims);
          expect(Buffer.from((b[n]!.data as Uint8Array).buffer).equals(Buffer.from((a[n]!.data as Uint8Array).buffer)), `${backend} ${n} differs between threads 1 and 2`).toBe(true);
        }
      }
      one.release();
      two.release();
    }
    console.log(`threads 1 vs 2 compared on ${tested.join(', ')}`);
    expect(tested.length).toBeGreaterThan(0);
  }, 180_000);
});
