/**
 * mnist-8 top-1 accuracy on the official 10,000 MNIST test images (IDX files, gunzipped with node:zlib), input
 * pixel/255 as [1,1,28,28]. The reference figure is onnxruntime-node's 98.90% (testdata README); the model's
 * Reshape to a fixed [1,256] rules out batching, so it runs one image at a time (~15 s on the scalar kernels).
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Tensor } from '@lowbit/kernels';
import { Session } from './session.js';
import { testdataPath } from '@lowbit/testing';

/** IDX: big-endian u32 magic (0x00000803 images, 0x00000801 labels), u32 counts/dims, then u8 data. */
function readIdx(file: string, magic: number): { count: number; data: Uint8Array; offset: number } {
  const buf = gunzipSync(readFileSync(testdataPath('mnist', file)));
  const got = buf.readUInt32BE(0);
  if (got !== magic) throw new Error(`${file}: IDX magic ${got.toString(16)}, expected ${magic.toString(16)}`);
  const rank = magic & 0xff;
  return { count: buf.readUInt32BE(4), data: buf, offset: 4 + 4 * rank };
}

describe('mnist-8', () => {
  it('scores 98.90% top-1 on the 10,000 test images, like onnxruntime-node', async () => {
    const images = readIdx('t10k-images-idx3-ubyte.gz', 0x803);
    const labels = readIdx('t10k-labels-idx1-ubyte.gz', 0x801);
    expect(images.count).toBe(10000);
    expect(labels.count).toBe(10000);
    const s = await Session.create(testdataPath('models', 'mnist-8.onnx'));
    let correct = 0;
    for (let k = 0; k < images.count; k++) {
      const x = new Float32Array(784);
      const base = images.offset + k * 784;
      for (let i = 0; i < 784; i++) x[i] = images.data[base + i] / 255;
      const y = s.runSync({ Input3: new Tensor('float32', x, [1, 1, 28, 28]) }).Plus214_Output_0.data as Float32Array;
      let best = 0;
      for (let j = 1; j < 10; j++) if (y[j] > y[best]) best = j;
      if (best === labels.data[labels.offset + k]) correct++;
    }
    expect(correct / images.count).toBeGreaterThanOrEqual(0.989);
  }, 120_000);
});
