import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeModel } from '@lowbit/onnx-ir';
import { testdataPath } from '@lowbit/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { quantizeDynamicBytes, quantizeStaticBytes, quantizeWeightOnlyBytes } from './bytes.js';
import { quantizeDynamic } from './quantize-dynamic.js';
import { quantizeStatic } from './quantize-static.js';
import { calibrationFeeds } from './test-support/mnist.js';

const mnist = new Uint8Array(readFileSync(testdataPath('models', 'mnist-8.onnx')));
const dir = mkdtempSync(join(tmpdir(), 'lowbit-bytes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bytes in, bytes out', () => {
  it('quantizeStaticBytes returns what quantizeStatic saves', async () => {
    const out = join(dir, 'static.onnx');
    await quantizeStatic(mnist, out, calibrationFeeds(8));
    const bytes = await quantizeStaticBytes(mnist, calibrationFeeds(8));
    expect(bytes).toEqual(new Uint8Array(readFileSync(out)));
    expect(decodeModel(bytes).graph.nodes.some((n) => n.opType === 'QuantizeLinear')).toBe(true);
  });

  it('quantizeDynamicBytes returns what quantizeDynamic saves, and output null writes nothing', async () => {
    const before = readdirSync(dir).length;
    const m = await quantizeDynamic(mnist, null);
    expect(readdirSync(dir).length).toBe(before);
    const out = join(dir, 'dynamic.onnx');
    expect(m.graph.nodes.length).toBeGreaterThan(0);
    await quantizeDynamic(mnist, out);
    expect(await quantizeDynamicBytes(mnist)).toEqual(new Uint8Array(readFileSync(out)));
  });

  it('quantizeWeightOnlyBytes decodes to a model with quantized weights', async () => {
    const q = decodeModel(await quantizeWeightOnlyBytes(mnist, { blockSize: 32 }));
    expect(q.graph.nodes.some((n) => n.opType === 'DequantizeLinear' || n.opType === 'MatMulNBits')).toBe(true);
  });
});
