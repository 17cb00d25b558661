/**
 * An input that is already quantized (QDQ, QOperator, dynamic, MatMulNBits; inside If bodies too) is refused with a
 * typed AlreadyQuantizedError naming what was found, in every mode; `allowQuantizedInput` lets it through, and static
 * quantization of a QDQ model then leaves it no larger.
 */
import { describe, expect, it } from 'vitest';
import { encodeModel } from '@lowbit/onnx-ir';
import { testdataPath } from '@lowbit/testing';
import { AlreadyQuantizedError } from '../quantized-input.js';
import { quantizeDynamic } from '../quantize-dynamic.js';
import { quantizeStatic } from '../quantize-static.js';
import { quantizeWeightOnly } from '../quantize-weight-only.js';
import { calibrationFeeds } from '../test-support/mnist.js';

const MNIST = testdataPath('models', 'mnist-8.onnx');
const data = calibrationFeeds(4);

async function refused(p: Promise<unknown>): Promise<AlreadyQuantizedError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(AlreadyQuantizedError);
  return e as AlreadyQuantizedError;
}

describe('already quantized input', () => {
  it('QDQ, QOperator, dynamic and MatMulNBits models are refused in every mode, saying what was found', async () => {
    const qdq = await quantizeStatic(MNIST, null, data);
    const qop = await quantizeStatic(MNIST, null, data, { quantFormat: 'QOperator' });
    const dyn = await quantizeDynamic(MNIST, null);
    const nbits = await quantizeWeightOnly(MNIST, null, { format: 'matmulnbits', blockSize: 32 });
    const e = await refused(quantizeStatic(qdq, null, data));
    expect(e.code).toBe('ALREADY_QUANTIZED');
    expect(e.context.ops.QuantizeLinear).toBeGreaterThan(0);
    expect(e.message).toMatch(/quantizeStatic: the input model is already quantized \(\d+ DequantizeLinear, \d+ QuantizeLinear; first: node ".+"\), expected a float model; pass allowQuantizedInput: true/);
    expect((await refused(quantizeStatic(qop, null, data))).context.ops.QLinearConv).toBe(2);
    expect((await refused(quantizeDynamic(qdq, null))).context.where).toBe('quantizeDynamic');
    expect((await refused(quantizeWeightOnly(dyn, null))).context.ops.MatMulInteger).toBeGreaterThan(0);
    expect((await refused(quantizeStatic(encodeModel(nbits), null, data))).context.ops.MatMulNBits).toBe(1);
  });

  it('inside If bodies: silero-vad after dynamic quantization is refused, the error naming the enclosing If', async () => {
    const q = await quantizeDynamic(testdataPath('models', 'silero-vad-legacy.onnx'), null);
    const e = await refused(quantizeDynamic(q, null));
    console.log(`already-quantized silero: ${e.message}`);
    expect(e.context.ops.DynamicQuantizeLSTM).toBeGreaterThan(0);
    expect(e.context.nodePath.length).toBeGreaterThan(1);
  });

  it('allowQuantizedInput: static on a QDQ model quantizes nothing more and does not grow it', async () => {
    const qdq = await quantizeStatic(MNIST, null, data);
    const again = await quantizeStatic(qdq, null, data, { allowQuantizedInput: true });
    const before = encodeModel(qdq).length, after = encodeModel(again).length;
    const count = (m: typeof qdq, op: string) => m.graph.nodes.filter((n) => n.opType === op).length;
    console.log(`static on its own QDQ output: ${before} -> ${after} bytes, QuantizeLinear ${count(qdq, 'QuantizeLinear')} -> ${count(again, 'QuantizeLinear')}`);
    expect(count(again, 'QuantizeLinear')).toBe(count(qdq, 'QuantizeLinear'));
    expect(count(again, 'DequantizeLinear')).toBe(count(qdq, 'DequantizeLinear'));
    expect(after).toBeLessThanOrEqual(before + 1024); // metadata (options, coverage) may differ a little
  });
});
