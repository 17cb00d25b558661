/**
 * Streaming weight-only quantization of external weights (weight-only-stream.ts): the lazy, chunked path writes the
 * same bytes as the eager path for MatMul (blocked DequantizeLinear and MatMulNBits) and Gather, every 4/8-bit type,
 * K not a multiple of the block size, chunks of a few blocks; and no weight is read before the model is saved.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { DataType, createTensorStore, loadModel, readTensorBytes, saveModel } from '@lowbit/onnx-ir';
import type { ExternalTensor, Model, TensorStore } from '@lowbit/onnx-ir';
import { model, node, vi } from './test-support/build.js';
import { makeTensor } from './tensor-data.js';
import { weightOnlyQuantize, type WeightOnlyOptions } from './weight-only.js';

const dir = mkdtempSync(join(tmpdir(), 'lowbit-wo-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** MatMul [K, N] and Gather [V, D] with weights in an external-data file. */
async function externalModel(k: number, n: number, v: number, d: number, w: Float32Array, table: Float32Array): Promise<Model> {
  const m = model({
    opset: 21,
    nodes: [node('Gather', ['table', 'ids'], ['e'], [], 'emb'), node('MatMul', ['x', 'w'], ['y'], [], 'mm')],
    inputs: [vi('ids', [2], DataType.INT64), vi('x', [2, k])], outputs: [vi('y', [2, n]), vi('e', [2, d])],
    inits: [makeTensor('w', DataType.FLOAT, [k, n], w), makeTensor('table', DataType.FLOAT, [v, d], table)],
  });
  const p = join(dir, `m${files++}.onnx`);
  await saveModel(m, p, { externalDataThreshold: 0 });
  const loaded = await loadModel(p);
  expect(loaded.graph.initializers.every((t) => t.kind === 'external')).toBe(true);
  return loaded;
}

async function initializerBytes(m: Model): Promise<[string, number, readonly number[], string][]> {
  return Promise.all(m.graph.initializers.map(async (t) => [t.name, t.dtype, t.dims, Buffer.from(await readTensorBytes(t)).toString('hex')] as [string, number, readonly number[], string]));
}

async function both(m: Model, o: WeightOnlyOptions): Promise<{ streamed: Model; eager: Model }> {
  const ctx = {} as never;
  const streamed = (await weightOnlyQuantize({ ...o, streamChunkBytes: 1 }).run(m, ctx)).model;
  const eager = (await weightOnlyQuantize({ ...o, streamExternal: false }).run(m, ctx)).model;
  return { streamed, eager };
}

const floats = (n: number) => fc.array(fc.oneof(fc.float({ min: -4, max: 4, noNaN: true }), fc.constantFrom(0, -0, 1e-30)), { minLength: n, maxLength: n }).map((a) => Float32Array.from(a));

describe('weight-only streaming of external weights', () => {
  it('equals the eager path byte for byte (property: shapes, types, formats, block sizes, tiny chunks)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ k: fc.integer({ min: 1, max: 80 }), n: fc.integer({ min: 1, max: 5 }), v: fc.integer({ min: 1, max: 6 }), d: fc.integer({ min: 1, max: 40 }) }).chain((s) =>
          fc.record({ s: fc.constant(s), w: floats(s.k * s.n), t: floats(s.v * s.d), dtype: fc.constantFrom('int4', 'uint4', 'int8', 'uint8'), bs: fc.constantFrom(16, 32), format: fc.constantFrom('qdq', 'matmulnbits') })),
        async ({ s, w, t, dtype, bs, format }) => {
          if (format === 'matmulnbits' && (dtype === 'int8' || dtype === 'uint8')) return;
          const m = await externalModel(s.k, s.n, s.v, s.d, w, t);
          const { streamed, eager } = await both(m, { dtype: dtype as 'int4', blockSize: bs, format: format as 'qdq' });
          expect(streamed.graph.initializers.some((x) => x.kind === 'lazy')).toBe(true);
          expect(eager.graph.initializers.some((x) => x.kind === 'lazy')).toBe(false);
          expect(streamed.graph.nodes).toEqual(eager.graph.nodes);
          expect(await initializerBytes(streamed)).toEqual(await initializerBytes(eager));
        },
      ),
      { numRuns: 40 },
    );
  }, 120_000);

  it('reads no weight while the pass runs; saving reads each weight in chunks and writes it before reading the next', async () => {
    const k = 256, n = 16, v = 64, d = 32;
    const m = await externalModel(k, n, v, d, Float32Array.from({ length: k * n }, (_, i) => Math.sin(i)), Float32Array.from({ length: v * d }, (_, i) => Math.cos(i)));
    const base = createTensorStore();
    const reads: { tensor: string; bytes: number }[] = [];
    const store: TensorStore = {
      resolve: (t) => base.resolve(t),
      read: (t) => { reads.push({ tensor: t.name, bytes: -1 }); return base.read(t); },
      readSync: (t) => { reads.push({ tensor: t.name, bytes: -1 }); return base.readSync(t); },
      readRangeSync: (t: ExternalTensor, start: number, length: number) => { reads.push({ tensor: t.name, bytes: length }); return base.readRangeSync!(t, start, length); },
    };
    const chunk = 32 * n * 4 * 2; // two blocks of MatMul rows per chunk
    const q = (await weightOnlyQuantize({ dtype: 'int4', blockSize: 32, store, streamChunkBytes: chunk }).run(m, {} as never)).model;
    expect(reads).toEqual([]);
    await saveModel(q, join(dir, 'streamed.onnx'), { externalDataThreshold: 0 });
    expect(reads.every((r) => r.bytes > 0 && r.bytes <= chunk)).toBe(true); // never a whole-weight read
    expect(reads.filter((r) => r.tensor === 'w').length).toBe(k / 64);
    expect(reads.filter((r) => r.tensor === 'table').reduce((a, r) => a + r.bytes, 0)).toBe(v * d * 4);
    // One weight after the other: all chunks of one weight, then all of the next.
    const order = reads.map((r) => r.tensor).filter((x, i, a) => i === 0 || a[i - 1] !== x);
    expect(order.length).toBe(2);
  });
});
