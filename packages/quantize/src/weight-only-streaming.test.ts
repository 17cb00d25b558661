/**
 * Issue 18: weight-only quantization of a model with external data streams tensor by tensor. A transformer-shaped
 * model (embedding Gather, four MatMuls, a bias) with every tensor external is quantized through an instrumented
 * TensorStore that records each read and how far the output's external-data file has been written at that moment:
 * nothing is read while preprocessing and rewriting; then weights are read one after the other, in chunks never larger
 * than one weight, and each weight's output is written before the next weight is read. The result equals quantizing
 * the same model held inline, tensor for tensor, and runs in onnxruntime-node.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { DataType, createTensorStore, loadModel, readTensorBytes, saveModel } from '@lowbit/onnx-ir';
import type { ExternalTensor, InlineTensor, Model, TensorStore } from '@lowbit/onnx-ir';
import { quantizeWeightOnly } from './quantize-weight-only.js';

const dir = mkdtempSync(join(tmpdir(), 'lowbit-wo-streaming-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const V = 500, D = 64, H = 256;
function rand(n: number, seed: number): Uint8Array {
  const a = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) { s = (s * 1103515245 + 12345) >>> 0; a[i] = (s / 2 ** 32 - 0.5) * 0.2; }
  return new Uint8Array(a.buffer);
}
const t = (name: string, dims: number[], seed: number): InlineTensor => ({ kind: 'inline', name, dtype: DataType.FLOAT, dims, data: rand(dims.reduce((a, b) => a * b, 1), seed), encoding: 'raw' });
const n = (opType: string, inputs: string[], output: string) => ({ id: output, name: output, opType, domain: '', inputs, outputs: [output], attributes: [] });
const floatIo = (name: string, dims: number[]) => ({ name, type: { kind: 'tensor' as const, elemType: DataType.FLOAT, shape: dims } });

const model: Model = {
  irVersion: 10, opsetImports: [{ domain: '', version: 21 }], functions: [], metadataProps: [],
  graph: {
    name: 'tiny-transformer',
    inputs: [{ name: 'ids', type: { kind: 'tensor', elemType: DataType.INT64, shape: [1, 8] } }], outputs: [floatIo('y', [1, 8, D])],
    initializers: [t('embed', [V, D], 1), t('wq', [D, H], 2), t('bq', [H], 3), t('wk', [H, D], 4), t('w1', [D, H], 5), t('w2', [H, D], 6)],
    sparseInitializers: [], valueInfo: [],
    nodes: [n('Gather', ['embed', 'ids'], 'x'), n('MatMul', ['x', 'wq'], 'a'), n('Add', ['a', 'bq'], 'ab'), n('Relu', ['ab'], 'r'), n('MatMul', ['r', 'wk'], 'k'),
      n('MatMul', ['k', 'w1'], 'h'), n('Relu', ['h'], 'hr'), n('MatMul', ['hr', 'w2'], 'y')],
  },
};
const WEIGHTS = ['embed', 'wq', 'wk', 'w1', 'w2'];

describe('quantizeWeightOnly streams external weights', () => {
  it('reads one weight at a time, in chunks, each written before the next is read; equals the inline result', async () => {
    const src = join(dir, 'ext.onnx');
    await saveModel(model, src, { externalDataThreshold: 0 });
    const inlineSrc = join(dir, 'inline.onnx');
    await saveModel(model, inlineSrc);
    const outDir = join(dir, 'out');
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir);
    const written = () => readdirSync(outDir).filter((f) => f.endsWith('.tmp') && f.includes('.data.')).reduce((a, f) => a + statSync(join(outDir, f)).size, 0);
    const base = createTensorStore();
    const reads: { tensor: string; bytes: number; written: number }[] = [];
    const whole: string[] = [];
    const store: TensorStore = {
      resolve: (x) => base.resolve(x),
      read: (x) => { whole.push(x.name); return base.read(x); },
      readSync: (x) => { whole.push(x.name); return base.readSync(x); },
      readRangeSync: (x: ExternalTensor, start: number, length: number) => { reads.push({ tensor: x.name, bytes: length, written: written() }); return base.readRangeSync!(x, start, length); },
    };
    const out = join(outDir, 'q.onnx');
    await quantizeWeightOnly(src, out, { weightType: 'int4', blockSize: 32, tensorStore: store });
    expect(whole).toEqual([]); // no weight is ever read whole through the store
    const order = reads.map((r) => r.tensor).filter((x, i, a) => i === 0 || a[i - 1] !== x);
    expect([...order].sort()).toEqual([...WEIGHTS].sort()); // each weight once, contiguously
    for (const w of WEIGHTS) {
      const bytes = model.graph.initializers.find((x) => x.name === w)!.dims.reduce((a, b) => a * b, 4);
      const rs = reads.filter((r) => r.tensor === w);
      expect(rs.reduce((a, r) => a + r.bytes, 0)).toBe(bytes);
      expect(Math.max(...rs.map((r) => r.bytes))).toBeLessThanOrEqual(bytes);
    }
    // Streaming: the first weight is read once saving has begun, and each next weight only after more output was written.
    const firsts = order.map((w) => reads.find((r) => r.tensor === w)!.written);
    for (let i = 1; i < firsts.length; i++) expect(firsts[i]).toBeGreaterThan(firsts[i - 1]);

    const q = await loadModel(out);
    expect(q.graph.initializers.filter((x) => x.kind === 'external').length).toBeGreaterThanOrEqual(WEIGHTS.length);
    const ref = join(dir, 'ref.onnx');
    await quantizeWeightOnly(inlineSrc, ref, { weightType: 'int4', blockSize: 32 });
    const r = await loadModel(ref);
    const bytesOf = async (m: Model) => Object.fromEntries(await Promise.all(m.graph.initializers.map(async (x) => [x.name, Buffer.from(await readTensorBytes(x)).toString('base64')])));
    expect(await bytesOf(q)).toEqual(await bytesOf(r));
    const ids = new ort.Tensor('int64', BigInt64Array.from([1, 7, 42, 499, 0, 3, 3, 250].map(BigInt)), [1, 8]);
    const a = await ort.InferenceSession.create(out, { executionProviders: ['cpu'] });
    const b = await ort.InferenceSession.create(ref, { executionProviders: ['cpu'] });
    const ya = (await a.run({ ids })).y.data as Float32Array;
    const yb = (await b.run({ ids })).y.data as Float32Array;
    expect(ya.length).toBe(8 * D);
    expect(Array.from(ya)).toEqual(Array.from(yb));
  }, 60_000);
});
