/**
 * The mel front end (MatMul DFT -> square -> MatMul mel -> Log -> Conv): static 8-bit with every layer quantized
 * collapses; with the default rule (layers feeding Log through a square kept float) the SQNR vs float rises, and the
 * kept layers are recorded with their reason in the model's coverage metadata.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { encodeModel } from '@lowbit/onnx-ir';
import { Tensor } from '@lowbit/runtime';
import { coverageOf } from '../coverage.js';
import { quantizeStatic } from '../quantize-static.js';
import { MEL_T, melFrames, melFrontEnd } from '../test-support/mel-frontend.js';
import { sqnrDb } from '../test-support/sqnr.js';

const dir = mkdtempSync(join(tmpdir(), 'lowbit-mel-'));
const calib = () => [1, 2, 3, 4, 5, 6].map((s) => ({ frames: new Tensor('float32', melFrames(s), [MEL_T, 256]) }));
const held = [21, 22, 23, 24].map((s) => ({ frames: new ort.Tensor('float32', melFrames(s), [MEL_T, 256]) }));

describe('mel front end: sensitive ops', () => {
  it('keeping the Log feeders float raises SQNR; reasons recorded; --no-keep-sensitive restores the old result', async () => {
    const src = encodeModel(melFrontEnd());
    const all = join(dir, 'all.onnx');
    const kept = join(dir, 'kept.onnx');
    await quantizeStatic(melFrontEnd(), all, calib(), { keepSensitiveFloat: false });
    const m = await quantizeStatic(melFrontEnd(), kept, calib());
    const before = await sqnrDb(src, all, held);
    const after = await sqnrDb(src, kept, held);
    const cov = coverageOf(m)!;
    console.log(`mel front end static: all quantized ${before.toFixed(2)} dB -> sensitive kept float ${after.toFixed(2)} dB; kept ${JSON.stringify(cov.keptFloat)}`);
    expect(cov.keptFloat.map((k) => k.node).sort()).toEqual(['melspec', 'spec']);
    expect(cov.keptFloat.find((k) => k.node === 'spec')!.reason).toMatch(/through a square/);
    expect(cov.quantizedCompute).toBe(2);
    expect(after).toBeGreaterThan(before + 10);
    expect(after).toBeGreaterThan(30);
  }, 120_000);
});
