/** countWeights / weightBytes on mnist-8 (weights: Conv 8x1x5x5 = 200, Conv 16x8x5x5 = 3200, MatMul 256x10 = 2560). */
import { describe, expect, it } from 'vitest';
import { testdataPath } from '@lowbit/testing';
import { quantizeDynamic } from '../quantize-dynamic.js';
import { quantizeStatic } from '../quantize-static.js';
import { calibrationFeeds } from '../test-support/mnist.js';
import { countWeights, weightBytes } from './weights.js';

const MNIST = testdataPath('models', 'mnist-8.onnx');
const data = calibrationFeeds(4);

describe('countWeights', () => {
  it('static QDQ: all, all but the MatMul, none quantized; dynamic (integer ops) counts as quantized', async () => {
    const all = await quantizeStatic(MNIST, null, data, { perChannel: true });
    expect(countWeights(all)).toEqual({ quantized: 5960, total: 5960 });
    const noMatMul = await quantizeStatic(MNIST, null, data, { nodesToExclude: ['Times212'] });
    expect(countWeights(noMatMul)).toEqual({ quantized: 3400, total: 5960 });
    const none = await quantizeStatic(MNIST, null, data, { opTypesToQuantize: ['Add'] });
    expect(countWeights(none)).toEqual({ quantized: 0, total: 5960 });
    const dyn = await quantizeDynamic(MNIST, null, {});
    const d = countWeights(dyn);
    expect(d.total).toBe(5960);
    expect(d.quantized).toBeGreaterThanOrEqual(2560);
    // int8 weights take a quarter of the float bytes (plus scales, zero points and float biases)
    expect(weightBytes(all)).toBeLessThan(weightBytes(none) / 2);
    expect(weightBytes(none)).toBeGreaterThanOrEqual(5960 * 4);
  });
});
