import { describe, expect, it } from 'vitest';
import { packInt4, packSubByte, unpackInt4, unpackSubByte } from './pack.js';
import { QParamsError } from './qparams-error.js';

describe('sub-byte packing (low bits first)', () => {
  it('packs int4 two per byte', () => {
    // 1 -> 0x1 (low nibble), -2 -> 0xe (high nibble); 7 -> low nibble of the padded last byte
    expect(Array.from(packInt4([1, -2, 7]))).toEqual([0xe1, 0x07]);
    expect(Array.from(unpackInt4(Uint8Array.of(0xe1, 0x07), 3, true))).toEqual([1, -2, 7]);
    expect(Array.from(unpackInt4(Uint8Array.of(0xe1), 2, false))).toEqual([1, 14]);
  });
  it('packs 2-bit values four per byte', () => {
    // 1 | (-2 & 3) << 2 | (-1 & 3) << 4 | 0 << 6 = 0x01 | 0x08 | 0x30 = 0x39
    expect(Array.from(packSubByte([1, -2, -1, 0, 1], 2))).toEqual([0x39, 0x01]);
    expect(Array.from(unpackSubByte(Uint8Array.of(0x39, 0x01), 5, 2, true))).toEqual([1, -2, -1, 0, 1]);
  });
  it('refuses too few bytes', () => {
    expect(() => unpackInt4(new Uint8Array(1), 3, true)).toThrow(QParamsError);
  });
});
