import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readMnist } from './mnist.js';
import { testdataPath } from './testdata.js';

describe('readMnist', () => {
  it('reads all 10,000 test images (28x28) and labels, digits 0-9 each present', () => {
    const m = readMnist('test');
    expect([m.count, m.rows, m.cols]).toEqual([10000, 28, 28]);
    expect(m.pixels).toHaveLength(10000 * 784);
    expect(m.images).toHaveLength(10000);
    expect(m.labels).toHaveLength(10000);
    expect(new Set(m.labels)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    expect(Math.min(...m.pixels.subarray(0, 784))).toBe(0);
    expect(m.pixels.reduce((a, b) => Math.max(a, b), 0)).toBe(1);
  });

  it('pixels are byte / 255 in float32, straight from the gunzipped IDX bytes (header 16 bytes, labels 8)', () => {
    const m = readMnist('train', 3);
    const raw = gunzipSync(readFileSync(testdataPath('mnist', 'train-10k-images-idx3-ubyte.gz')));
    const rawLabels = gunzipSync(readFileSync(testdataPath('mnist', 'train-10k-labels-idx1-ubyte.gz')));
    expect(m.count).toBe(3);
    expect(m.images).toHaveLength(3);
    for (let k = 0; k < 3; k++) {
      expect(m.labels[k]).toBe(rawLabels[8 + k]);
      for (let i = 0; i < 784; i++) expect(m.images[k]![i]).toBe(Math.fround(raw[16 + k * 784 + i]! / 255));
    }
    expect(m.images[1]!.buffer).toBe(m.pixels.buffer);
    expect(m.images[1]![0]).toBe(m.pixels[784]);
  });

  it('the first t10k label is 7 (the well-known first test digit)', () => {
    expect(readMnist('test', 1).labels[0]).toBe(7);
  });
});
