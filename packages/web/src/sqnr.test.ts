import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIdxImages } from './calibration-input.js';
import { sqnrDb } from './sqnr.js';

describe('sqnrDb', () => {
  it('is +Infinity for no error and drops 20 dB when the error grows tenfold', () => {
    expect(sqnrDb(5, 0)).toBe(Infinity);
    fc.assert(fc.property(fc.double({ min: 1e-6, max: 1e6, noNaN: true }), fc.double({ min: 1e-6, max: 1e6, noNaN: true }), (ref, err) => {
      expect(sqnrDb(ref, err) - sqnrDb(ref, err * 100)).toBeCloseTo(20, 9);
    }));
  });
});

describe('parseIdxImages', () => {
  const idx = (count: number, rows: number, cols: number, pixels: number): Uint8Array => {
    const b = new Uint8Array(16 + pixels);
    const v = new DataView(b.buffer);
    v.setUint32(0, 0x803); v.setUint32(4, count); v.setUint32(8, rows); v.setUint32(12, cols);
    for (let i = 0; i < pixels; i++) b[16 + i] = i & 0xff;
    return b;
  };
  it('reads the header and the pixels', () => {
    const r = parseIdxImages(idx(2, 3, 4, 24));
    expect([r.count, r.rows, r.cols]).toEqual([2, 3, 4]);
    expect(r.data[23]).toBe(23);
  });
  it('rejects a label file and a truncated file, saying why', () => {
    const labels = idx(2, 3, 4, 24);
    new DataView(labels.buffer).setUint32(0, 0x801);
    expect(() => parseIdxImages(labels)).toThrow(/magic 0x801, expected 0x803/);
    expect(() => parseIdxImages(idx(2, 3, 4, 23))).toThrow(/truncated: 2 x 3 x 4 needs 40 bytes, got 39/);
  });
});
