/**
 * onnxruntime-node as an independent reader: models we re-encode, and models we save with external data, load and
 * run in onnxruntime with exactly the outputs of the original file.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testdataPath } from '@lowbit/testing';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeModel, encodeModel } from './codec.js';
import { loadModel, saveModel } from './model-file.js';

const dir = mkdtempSync(join(tmpdir(), 'lowbit-ort-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(model: string | Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, Float32Array>> {
  const s = await ort.InferenceSession.create(model as never, { executionProviders: ['cpu'] });
  const out = await s.run(feeds);
  await s.release();
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
}

describe('onnxruntime reads what we write', () => {
  const mnist = testdataPath('models', 'mnist-8.onnx');
  const input = new Float32Array(28 * 28).map((_, i) => (i % 29) / 29);
  const feeds = { Input3: new ort.Tensor('float32', input, [1, 1, 28, 28]) };

  it('a re-encoded model gives identical outputs', async () => {
    const want = await run(mnist, feeds);
    const bytes = encodeModel(decodeModel(new Uint8Array(readFileSync(mnist))));
    expect(await run(bytes, feeds)).toEqual(want);
  });

  it('a model saved with external data (weights in model.onnx.data) gives identical outputs', async () => {
    const want = await run(mnist, feeds);
    const out = join(dir, 'mnist-ext.onnx');
    const saved = await saveModel(await loadModel(mnist), out, { externalDataThreshold: 256 });
    expect(saved.graph.initializers.filter((t) => t.kind === 'external').length).toBeGreaterThan(0);
    expect(readdirSync(dir).sort()).toEqual(['mnist-ext.onnx', 'mnist-ext.onnx.data']);
    expect(await run(out, feeds)).toEqual(want);
    // Loading it back and saving inline again also runs the same.
    const inline = join(dir, 'mnist-inline.onnx');
    await saveModel(await loadModel(out), inline, { externalDataThreshold: Number.MAX_SAFE_INTEGER });
    expect(await run(inline, feeds)).toEqual(want);
  });
});
