/**
 * silero-vad (every layer inside If branches) in static mode: the Convs inside the branches get Q/DQ and the LSTMs
 * become DynamicQuantizeLSTM (counted inside the bodies only), the model loads in onnxruntime-node, and its output
 * SQNR vs float on held-out generated audio is measured and printed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { testdataPath } from '@lowbit/testing';
import { Tensor } from '@lowbit/runtime';
import type { Graph } from '@lowbit/onnx-ir';
import { quantizeStatic } from '../quantize-static.js';
import { coverageOf } from '../coverage.js';

/** Nodes inside control-flow bodies reading a DequantizeLinear output, and DynamicQuantizeLSTMs there, by op type. */
function quantizedOps(g: Graph, out: Record<string, number> = {}, depth = 0): Record<string, number> {
  const dq = new Set(g.nodes.filter((n) => n.opType === 'DequantizeLinear').flatMap((n) => n.outputs));
  for (const n of g.nodes) {
    const q = n.opType === 'DynamicQuantizeLSTM' || (n.opType !== 'QuantizeLinear' && n.opType !== 'DequantizeLinear' && n.inputs.some((i) => i && dq.has(i)));
    if (q && depth > 0) out[n.opType] = (out[n.opType] ?? 0) + 1;
    for (const a of n.attributes) if (a.type === 'graph') quantizedOps(a.value, out, depth + 1);
  }
  return out;
}

const audio = (k: number): Float32Array => Float32Array.from({ length: 512 }, (_, i) => 0.3 * Math.sin(i / (7 + k)) + 0.1 * Math.sin(i / 2.3 + k) + 0.05 * Math.sin(i * 0.91 * (k + 1)));
const feeds = (k: number) => ({
  input: new Tensor('float32', audio(k), [1, 512]), sr: new Tensor('int64', BigInt64Array.of(16000n), []),
  h: new Tensor('float32', new Float32Array(128), [2, 1, 64]), c: new Tensor('float32', new Float32Array(128), [2, 1, 64]),
});

export async function sqnrVsFloat(src: string, out: string, ks: readonly number[]): Promise<number> {
  const f = await ort.InferenceSession.create(src, { executionProviders: ['cpu'] });
  const q = await ort.InferenceSession.create(out, { executionProviders: ['cpu'] });
  let sig = 0, noise = 0;
  for (const k of ks) {
    const fe = feeds(k);
    const o = {
      input: new ort.Tensor('float32', fe.input.data as Float32Array, [1, 512]), sr: new ort.Tensor('int64', BigInt64Array.of(16000n), []),
      h: new ort.Tensor('float32', new Float32Array(128), [2, 1, 64]), c: new ort.Tensor('float32', new Float32Array(128), [2, 1, 64]),
    };
    const a = await f.run(o);
    const b = await q.run(o);
    for (const name of f.outputNames) {
      const ra = a[name].data as Float32Array, rb = b[name].data as Float32Array;
      for (let i = 0; i < ra.length; i++) { sig += ra[i] ** 2; noise += (ra[i] - rb[i]) ** 2; }
    }
  }
  return 10 * Math.log10(sig / noise);
}

describe('silero-vad static', () => {
  it('Convs inside the If branches are quantized; loads in onnxruntime; SQNR measured', async () => {
    const src = testdataPath('models', 'silero-vad-legacy.onnx');
    const out = join(mkdtempSync(join(tmpdir(), 'lowbit-silero-static-')), 'q.onnx');
    const m = await quantizeStatic(src, out, [0, 1, 2, 3, 4, 5].map(feeds));
    const ops = quantizedOps(m.graph);
    expect(ops.Conv).toBe(17);
    expect(ops.DynamicQuantizeLSTM).toBe(8);
    const cov = coverageOf(m);
    expect(cov?.quantizedInBodies).toBe(17 + 8);
    // the 8 kHz branch saw no calibration batch: its 17 Convs stay float, and the coverage says so
    expect(cov?.warnings).toEqual(['17 of the 44 compute nodes inside If/Loop/Scan bodies stay float: a branch no calibration batch took (calibrate with inputs that take it)']);
    const db = await sqnrVsFloat(src, out, [10, 11, 12, 13]);
    console.log(`silero-vad static: quantized ${JSON.stringify(ops)}; coverage ${JSON.stringify(cov)}; SQNR ${db.toFixed(2)} dB`);
    expect(cov?.keptFloat.map((k) => k.reason).join()).toMatch(/feeds Pow/);
    // before (no subgraph quantization) this model came out unquantized; all-quantized it measured 3.4 dB
    expect(db).toBeGreaterThan(15);
  }, 120_000);
});
