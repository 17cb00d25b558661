/** TEST-ONLY: scoring helpers for mnist-8 (the images come from @lowbit/testing's readMnist). */
import * as ort from 'onnxruntime-node';
import { encodeModel, type Model } from '@lowbit/onnx-ir';

export function argmax(a: ArrayLike<number>, off: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (a[off + i] > a[off + best]) best = i;
  return best;
}

/** Top-1 accuracy in percent of an mnist-8-shaped model in onnxruntime-node (images: pixel/255, 784 per image). */
export async function accuracy(m: Model, images: Float32Array, labels: Uint8Array): Promise<number> {
  const s = await ort.InferenceSession.create(encodeModel(m), { executionProviders: ['cpu'] });
  let ok = 0;
  for (let i = 0; i < labels.length; i++) {
    const r = await s.run({ Input3: new ort.Tensor('float32', images.subarray(i * 784, (i + 1) * 784), [1, 1, 28, 28]) });
    if (argmax(r[s.outputNames[0]].data as Float32Array, 0, 10) === labels[i]) ok++;
  }
  await s.release();
  return (100 * ok) / labels.length;
}
