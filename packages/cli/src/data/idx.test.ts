import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { testdataPath } from '@lowbit/testing';
import { parseIdx } from './idx.js';
import { DataFormatError } from './errors.js';

describe('parseIdx', () => {
  it('reads the official MNIST test images and labels', () => {
    const images = parseIdx(readFileSync(testdataPath('mnist', 't10k-images-idx3-ubyte.gz')));
    expect(images.type).toBe('uint8');
    expect(images.dims).toEqual([10000, 28, 28]);
    const labels = parseIdx(readFileSync(testdataPath('mnist', 't10k-labels-idx1-ubyte.gz')));
    expect(labels.dims).toEqual([10000]);
    // The first test digit of MNIST is a 7, the second a 2 (the well-known start of t10k).
    expect([labels.data[0], labels.data[1]]).toEqual([7, 2]);
    // Every label is a digit; every image has ink.
    expect([...labels.data].every((v) => v >= 0 && v <= 9)).toBe(true);
    expect(Math.max(...images.data.subarray(0, 784))).toBeGreaterThan(200);
  });

  it('reads big-endian multi-byte element types, gzipped or not', () => {
    // Header: 00 00 0b (int16) 02 dims, dims [2, 1], then 0x0102 and 0xfffe big-endian = 258 and -2.
    const raw = Uint8Array.from([0, 0, 0x0b, 2, 0, 0, 0, 2, 0, 0, 0, 1, 0x01, 0x02, 0xff, 0xfe]);
    for (const bytes of [raw, new Uint8Array(gzipSync(raw))]) {
      const a = parseIdx(bytes);
      expect(a.type).toBe('int16');
      expect(a.dims).toEqual([2, 1]);
      expect([...a.data]).toEqual([258, -2]);
    }
  });

  it('rejects bad magic, unknown types and truncated data with DataFormatError', () => {
    expect(() => parseIdx(Uint8Array.from([1, 2, 3, 4]), 'x.idx')).toThrow(DataFormatError);
    expect(() => parseIdx(Uint8Array.from([0, 0, 0x42, 1, 0, 0, 0, 1, 5]), 'x.idx')).toThrow(/unknown IDX element type/);
    expect(() => parseIdx(Uint8Array.from([0, 0, 0x08, 1, 0, 0, 0, 3, 5]), 'x.idx')).toThrow(/has 1 bytes, dims \[3\] need 3/);
  });
});
