/**
 * silero-vad (LSTMs inside nested If branches): quantizeDynamic reaches into subgraphs; the result loads in
 * onnxruntime-node and its outputs stay within 25 dB SQNR of the float model on generated audio frames.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { testdataPath } from '@lowbit/testing';
import type { Graph } from '@lowbit/onnx-ir';
import { quantizeDynamic } from './quantize-dynamic.js';

function ops(g: Graph, out: Record<string, number> = {}): Record<string, number> {
  for (const n of g.nodes) {
    out[n.opType] = (out[n.opType] ?? 0) + 1;
    for (const a of n.attributes) if (a.type === 'graph') ops(a.value, out);
  }
  return out;
}

describe('silero-vad dynamic', () => {
  it('LSTMs inside If branches become DynamicQuantizeLSTM; loads; SQNR > 25 dB', async () => {
    const src = testdataPath('models', 'silero-vad-legacy.onnx');
    const out = join(mkdtempSync(join(tmpdir(), 'lowbit-silero-')), 'q.onnx');
    const m = await quantizeDynamic(src, out);
    expect(ops(m.graph).LSTM ?? 0).toBe(0);
    expect(ops(m.graph).DynamicQuantizeLSTM).toBeGreaterThan(0);
    const f = await ort.InferenceSession.create(src, { executionProviders: ['cpu'] });
    const q = await ort.InferenceSession.create(out, { executionProviders: ['cpu'] });
    let sig = 0, noise = 0;
    for (let k = 0; k < 4; k++) {
      const x = Float32Array.from({ length: 512 }, (_, i) => 0.3 * Math.sin(i / (7 + k)) + 0.1 * Math.sin(i / 2.3 + k));
      const feeds = {
        input: new ort.Tensor('float32', x, [1, 512]), sr: new ort.Tensor('int64', BigInt64Array.of(16000n), []),
        h: new ort.Tensor('float32', new Float32Array(128), [2, 1, 64]), c: new ort.Tensor('float32', new Float32Array(128), [2, 1, 64]),
      };
      const a = await f.run(feeds);
      const b = await q.run(feeds);
      for (const o of f.outputNames) {
        const ra = a[o].data as Float32Array, rb = b[o].data as Float32Array;
        for (let i = 0; i < ra.length; i++) { sig += ra[i] ** 2; noise += (ra[i] - rb[i]) ** 2; }
      }
    }
    const db = 10 * Math.log10(sig / noise);
    console.log(`silero-vad dynamic: SQNR ${db.toFixed(2)} dB`);
    expect(db).toBeGreaterThan(25);
  });
});
