/**
 * MNIST in the IDX format, as stored (gzipped) in the shared test data: `mnist/train-10k-*` (a class-balanced
 * 10,000-image subset of the training set) and `mnist/t10k-*` (the official 10,000 test images).
 *
 * IDX layout: big-endian u32 magic (0x00000803 for images, 0x00000801 for labels), then one big-endian u32 per
 * dimension (count, rows, cols for images; count for labels), then the u8 data row-major.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { testdataPath } from './testdata.js';

export interface Mnist {
  /** Number of images read (the file's count, or fewer when `count` asked for fewer). */
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
  /** All images back to back, `count * rows * cols` float32 values: pixel / 255 (so 0..1), rounded to float32. */
  readonly pixels: Float32Array;
  /** One view into `pixels` per image (`rows * cols` values each). */
  readonly images: readonly Float32Array[];
  /** The digit (0-9) of each image. */
  readonly labels: Uint8Array;
}

const FILES = {
  train: ['train-10k-images-idx3-ubyte.gz', 'train-10k-labels-idx1-ubyte.gz'],
  test: ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'],
} as const;

function readIdx(file: string, magic: number): { dims: number[]; data: Uint8Array } {
  const buf = gunzipSync(readFileSync(testdataPath('mnist', file)));
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const got = view.getUint32(0);
  if (got !== magic) throw new Error(`testing: ${file}: IDX magic 0x${got.toString(16)}, expected 0x${magic.toString(16)}`);
  const rank = magic & 0xff;
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  return { dims, data: buf.subarray(4 + 4 * rank) };
}

/**
 * Reads the first `count` (default: all) images and labels of the `train` (train-10k) or `test` (t10k) MNIST files.
 * Pixels are `Math.fround(byte / 255)`.
 */
export function readMnist(kind: 'train' | 'test', count = Infinity): Mnist {
  const [imageFile, labelFile] = FILES[kind];
  const img = readIdx(imageFile, 0x803);
  const lab = readIdx(labelFile, 0x801);
  const [total, rows, cols] = img.dims as [number, number, number];
  if (lab.dims[0] !== total) throw new Error(`testing: ${imageFile} holds ${total} images but ${labelFile} ${lab.dims[0]} labels`);
  const n = Math.min(count, total);
  const size = rows * cols;
  const pixels = new Float32Array(n * size);
  for (let i = 0; i < n * size; i++) pixels[i] = img.data[i]! / 255;
  const images = Array.from({ length: n }, (_, k) => pixels.subarray(k * size, (k + 1) * size));
  return { count: n, rows, cols, pixels, images, labels: lab.data.slice(0, n) };
}
