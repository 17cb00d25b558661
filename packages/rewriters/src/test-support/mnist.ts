/** TEST-ONLY: MNIST IDX readers and scoring helpers. */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { testdataPath } from '@lowbit/testing';

/** Images as float32 pixel/255, [count, 784]. */
export function mnistImages(file: string, count: number): Float32Array {
  const b = gunzipSync(readFileSync(testdataPath('mnist', file)));
  const n = Math.min(count, b.readUInt32BE(4));
  const px = 28 * 28;
  const out = new Float32Array(n * px);
  for (let i = 0; i < n * px; i++) out[i] = b[16 + i] / 255;
  return out;
}

export function mnistLabels(file: string, count: number): Uint8Array {
  const b = gunzipSync(readFileSync(testdataPath('mnist', file)));
  return b.subarray(8, 8 + Math.min(count, b.readUInt32BE(4)));
}

export function argmax(a: ArrayLike<number>, off: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (a[off + i] > a[off + best]) best = i;
  return best;
}
