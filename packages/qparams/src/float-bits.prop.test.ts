import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bfloat16ToFloat32, float16ToFloat32, float32ToBfloat16, float32ToFloat16 } from './float-bits.js';
import { packSubByte, unpackSubByte } from './pack.js';

const CASES = [
  ['float16', float32ToFloat16, float16ToFloat32, 65504] as const,
  ['bfloat16', float32ToBfloat16, bfloat16ToFloat32, 3.3895313892515355e38] as const,
];

describe.each(CASES)('%s', (_name, enc, dec, max) => {
  it('round trips every bit pattern that is not NaN', () => {
    for (let b = 0; b < 0x10000; b += 7) {
      const v = dec(b);
      if (!Number.isNaN(v)) expect(enc(v)).toBe(b);
    }
  });
  it('picks the nearest of its neighbours, ties to even', () => {
    fc.assert(fc.property(fc.float({ min: Math.fround(-max), max: Math.fround(max), noNaN: true }), (x) => {
      const b = enc(x);
      const v = dec(b);
      for (const nb of [b - 1, b + 1]) {
        if (nb < 0 || nb > 0xffff) continue;
        const w = dec(nb);
        if (!Number.isFinite(w) || Math.sign(w) !== Math.sign(v)) continue;
        const dv = Math.abs(x - v);
        const dw = Math.abs(x - w);
        expect(dv).toBeLessThanOrEqual(dw);
        if (dv === dw) expect(b & 1).toBe(0);
      }
    }), { numRuns: 500 });
  });
});

describe('sub-byte packing', () => {
  it('unpack(pack(v)) == v for int4, uint4, int2, uint2', () => {
    fc.assert(fc.property(fc.constantFrom(2, 4) as fc.Arbitrary<2 | 4>, fc.boolean(), fc.array(fc.nat(), { maxLength: 33 }), (bits, signed, raw) => {
      const lo = signed ? -(2 ** (bits - 1)) : 0;
      const span = 2 ** bits;
      const values = raw.map((r) => lo + (r % span));
      expect(Array.from(unpackSubByte(packSubByte(values, bits), values.length, bits, signed))).toEqual(values);
    }));
  });
});
