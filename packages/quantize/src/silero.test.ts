/**
 * silero-vad (every layer inside nested If branches, the Conv weights read from the main graph): quantizeDynamic
 * reaches into the bodies: LSTMs become DynamicQuantizeLSTM and Convs ConvInteger there (counted inside bodies only),
 * the STFT Conv feeding Pow stays float with its reason recorded; the result loads in onnxruntime-node and its outputs
 * stay within 25 dB SQNR of the float model on generated audio frames.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { testdataPath } from '@lowbit/testing';
import type { Graph } from '@lowbit/onnx-ir';
import { quantizeDynamic } from './quantize-dynamic.js';
import { coverageOf } from './coverage.js';

/** Op counts at every depth, and inside control-flow bodies only. */
function ops(g: Graph, out: Record<string, number> = {}, bodies: Record<string, number> = {}, depth = 0): { all: Record<string, number>; bodies: Record<string, number> } {
  for (const n of g.nodes) {
    out[n.opType] = (out[n.opType] ?? 0) + 1;
    if (depth > 0) bodies[n.opType] = (bodies[n.opType] ?? 0) + 1;
    for (const a of n.attributes) if (a.type === 'graph') ops(a.value, out, bodies, depth + 1);
  }
  return { all: out, bodies };
}

describe('silero-vad dynamic', () => {
  it('LSTMs inside If branches become DynamicQuantizeLSTM; loads; SQNR > 25 dB', async () => {
    const src = testdataPath('models', 'silero-vad-legacy.onnx');
    const out = join(mkdtempSync(join(tmpdir(), 'lowbit-silero-')), 'q.onnx');
    const m = await quantizeDynamic(src, out);
    const o = ops(m.graph);
    const cov = coverageOf(m)!;
    console.log(`silero-vad dynamic, inside If bodies: ${JSON.stringify(o.bodies)}; coverage ${JSON.stringify(cov)}`);
    expect(o.all.LSTM ?? 0).toBe(0);
    expect(o.bodies.DynamicQuantizeLSTM).toBe(8);
    expect(o.bodies.ConvInteger).toBe(2 * 17);
    expect(o.all.Conv).toBe(2);
    expect(cov.keptFloat.map((k) => k.reason)).toEqual([expect.stringMatching(/^feeds Pow/), expect.stringMatching(/^feeds Pow/)]);
    expect(cov.quantizedInBodies).toBe(cov.inBodies - 2);
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
