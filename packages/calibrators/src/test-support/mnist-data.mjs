// Real MNIST images for calibration tests: the class-balanced train-10k IDX file, pixel / 255 as float32 [1, 1, 28, 28].
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** The first `count` images of an IDX3 (gzipped) file as mnist-8 feeds `{ Input3 }`. */
export function mnistFeeds(idxGzPath, count) {
  const bytes = gunzipSync(readFileSync(idxGzPath));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0) !== 0x00000803) throw new Error(`${idxGzPath}: not an IDX3 ubyte file`);
  const n = view.getUint32(4);
  const rows = view.getUint32(8);
  const cols = view.getUint32(12);
  const feeds = [];
  for (let k = 0; k < Math.min(count, n); k++) {
    const data = new Float32Array(rows * cols);
    for (let i = 0; i < rows * cols; i++) data[i] = Math.fround(bytes[16 + k * rows * cols + i] / 255);
    feeds.push({ Input3: { dtype: 'float32', dims: [1, 1, rows, cols], data } });
  }
  return feeds;
}
