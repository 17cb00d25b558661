/** TEST-ONLY: MNIST calibration feeds and onnxruntime-node scoring (the IDX files are read by @lowbit/testing). */
import * as ort from 'onnxruntime-node';
import { readMnist } from '@lowbit/testing';
import type { Feeds } from '@lowbit/calibrators';

/** The first `n` training images as single-image feeds for `Input3` (re-iterable). */
export function calibrationFeeds(n: number): () => Iterable<Feeds> {
  const images = readMnist('train', n).pixels;
  return function* () {
    for (let i = 0; i < n; i++) yield { Input3: { dtype: 'float32', dims: [1, 1, 28, 28], data: images.subarray(i * 784, (i + 1) * 784) } };
  };
}

/** Top-1 accuracy (%) in onnxruntime-node, batch 1. */
export async function accuracy(bytes: Uint8Array, images: Float32Array, labels: Uint8Array): Promise<number> {
  const s = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
  let ok = 0;
  for (let i = 0; i < labels.length; i++) {
    const r = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', images.subarray(i * 784, (i + 1) * 784), [1, 1, 28, 28]) });
    const y = r[s.outputNames[0]].data as Float32Array;
    let best = 0;
    for (let k = 1; k < 10; k++) if (y[k] > y[best]) best = k;
    if (best === labels[i]) ok++;
  }
  await s.release();
  return (100 * ok) / labels.length;
}


/** Predicted classes for the first `n` images in onnxruntime-node and in Lowbit's runtime (js backend). */
export async function predictionsBoth(bytes: Uint8Array, images: Float32Array, n: number): Promise<{ ort: number[]; lowbit: number[] }> {
  const { Session, Tensor } = await import('@lowbit/runtime');
  const s = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
  const l = await Session.create(bytes);
  const argmax = (y: ArrayLike<number>): number => { let b = 0; for (let k = 1; k < 10; k++) if (y[k] > y[b]) b = k; return b; };
  const out = { ort: [] as number[], lowbit: [] as number[] };
  for (let i = 0; i < n; i++) {
    const x = images.subarray(i * 784, (i + 1) * 784);
    const r = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', x, [1, 1, 28, 28]) });
    out.ort.push(argmax(r[s.outputNames[0]].data as Float32Array));
    const q = await l.run({ [l.inputNames[0]]: new Tensor('float32', Float32Array.from(x), [1, 1, 28, 28]) });
    out.lowbit.push(argmax(q[l.outputNames[0]].data as Float32Array));
  }
  await s.release();
  return out;
}
