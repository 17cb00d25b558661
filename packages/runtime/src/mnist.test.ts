/**
 * mnist-8 top-1 accuracy on the official 10,000 MNIST test images (IDX files, read by `readMnist` from
 * @lowbit/testing), input pixel/255 as [1,1,28,28]. The reference figure is onnxruntime-node's 98.90% (testdata README); the model's
 * Reshape to a fixed [1,256] rules out batching, so it runs one image at a time (~15 s on the scalar kernels).
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '@lowbit/kernels';
import { Session } from './session.js';
import { readMnist, testdataPath } from '@lowbit/testing';

describe('mnist-8', () => {
  it('scores 98.90% top-1 on the 10,000 test images, like onnxruntime-node', async () => {
    const { count, images, labels } = readMnist('test');
    expect(count).toBe(10000);
    expect(labels.length).toBe(10000);
    const s = await Session.create(testdataPath('models', 'mnist-8.onnx'));
    let correct = 0;
    for (let k = 0; k < count; k++) {
      const x = images[k]!;
      const y = s.runSync({ Input3: new Tensor('float32', x, [1, 1, 28, 28]) }).Plus214_Output_0.data as Float32Array;
      let best = 0;
      for (let j = 1; j < 10; j++) if (y[j] > y[best]) best = j;
      if (best === labels[k]) correct++;
    }
    expect(correct / count).toBeGreaterThanOrEqual(0.989);
  }, 120_000);
});
