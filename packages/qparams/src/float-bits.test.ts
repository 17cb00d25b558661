import { describe, expect, it } from 'vitest';
import {
  bfloat16ToFloat32, float16ToFloat32, float32ToBfloat16, float32ToFloat16, float32ToFloat4e2m1, float32ToFloat8,
  float4e2m1ToFloat32, float8ToFloat32, FLOAT16, FLOAT4E2M1, type Float8Kind,
} from './float-bits.js';
import { float32ToFloat8e8m0, float8e8m0ToFloat32 } from './float8e8m0.js';
import { miniFloatToNumber, numberToMiniFloat } from './minifloat.js';

// Expected bit patterns are worked out by hand from the formats: sign | exponent + bias | mantissa.

describe('float8 e4m3fn (bias 7, max 448 = 0x7e, NaN 0x7f, no Inf)', () => {
  const k: Float8Kind = 'float8e4m3fn';
  it('encodes normal, subnormal and special values', () => {
    expect(float32ToFloat8(1, k)).toBe(0x38); // 2^0: exponent 7 -> 0b0111_000
    expect(float32ToFloat8(-2, k)).toBe(0xc0); // sign | exponent 8
    expect(float32ToFloat8(448, k)).toBe(0x7e);
    expect(float32ToFloat8(2 ** -9, k)).toBe(0x01); // smallest subnormal
    expect(float32ToFloat8(2 ** -10, k)).toBe(0x00); // half of it: tie to even (0)
    expect(float32ToFloat8(3 * 2 ** -10, k)).toBe(0x02); // 1.5 subnormal steps: tie to even (2)
    expect(float32ToFloat8(-0, k)).toBe(0x80);
    expect(float32ToFloat8(NaN, k)).toBe(0x7f);
  });
  it('saturates or overflows to NaN as ONNX saturate says', () => {
    expect(float32ToFloat8(464, k, false)).toBe(0x7e); // midpoint 448..480: tie to the even mantissa (448)
    expect(float32ToFloat8(470, k, false)).toBe(0x7f);
    expect(float32ToFloat8(-500, k, false)).toBe(0xff);
    expect(float32ToFloat8(500, k, true)).toBe(0x7e);
    expect(float32ToFloat8(Infinity, k, true)).toBe(0x7e);
    expect(float32ToFloat8(-Infinity, k, true)).toBe(0xfe);
    expect(float32ToFloat8(Infinity, k, false)).toBe(0x7f);
  });
  it('decodes', () => {
    expect(float8ToFloat32(0x7e, k)).toBe(448);
    expect(float8ToFloat32(0x01, k)).toBe(2 ** -9);
    expect(float8ToFloat32(0x7f, k)).toBeNaN();
    expect(float8ToFloat32(0xff, k)).toBeNaN();
  });
});

describe('float8 e5m2 (bias 15, max 57344 = 0x7b, Inf 0x7c)', () => {
  const k: Float8Kind = 'float8e5m2';
  it('encodes and decodes', () => {
    expect(float32ToFloat8(1, k)).toBe(0x3c);
    expect(float32ToFloat8(57344, k)).toBe(0x7b);
    expect(float32ToFloat8(60000, k, false)).toBe(0x7b); // below the 61440 midpoint
    expect(float32ToFloat8(61440, k, false)).toBe(0x7c); // tie: even mantissa is Inf's (00)
    expect(float32ToFloat8(61440, k, true)).toBe(0x7b);
    expect(float32ToFloat8(-Infinity, k, false)).toBe(0xfc);
    expect(float32ToFloat8(NaN, k)).toBe(0x7e);
    expect(float8ToFloat32(0x7c, k)).toBe(Infinity);
    expect(float8ToFloat32(0x7d, k)).toBeNaN();
  });
});

describe('float8 fnuz kinds (no -0, NaN is 0x80)', () => {
  it('e4m3fnuz: bias 8, max 240 = 0x7f', () => {
    const k: Float8Kind = 'float8e4m3fnuz';
    expect(float32ToFloat8(1, k)).toBe(0x40);
    expect(float32ToFloat8(240, k)).toBe(0x7f);
    expect(float32ToFloat8(-0, k)).toBe(0x00);
    expect(float32ToFloat8(-(2 ** -12), k)).toBe(0x00); // underflows to zero, which has no sign here
    expect(float32ToFloat8(300, k, false)).toBe(0x80);
    expect(float32ToFloat8(300, k, true)).toBe(0x7f);
    expect(float8ToFloat32(0x80, k)).toBeNaN();
  });
  it('e5m2fnuz: bias 16, max 57344 = 0x7f', () => {
    const k: Float8Kind = 'float8e5m2fnuz';
    expect(float32ToFloat8(1, k)).toBe(0x40);
    expect(float32ToFloat8(57344, k)).toBe(0x7f);
    expect(float8ToFloat32(0x7f, k)).toBe(57344);
  });
});

describe('every float8 bit pattern survives decode -> encode', () => {
  for (const k of ['float8e4m3fn', 'float8e4m3fnuz', 'float8e5m2', 'float8e5m2fnuz'] as const) {
    it(k, () => {
      for (let b = 0; b < 256; b++) {
        const v = float8ToFloat32(b, k);
        if (Number.isNaN(v)) continue;
        expect(float32ToFloat8(v, k, false)).toBe(b);
      }
    });
  }
});

describe('float16 and bfloat16', () => {
  it('float16', () => {
    expect(float32ToFloat16(1)).toBe(0x3c00);
    expect(float32ToFloat16(-2)).toBe(0xc000);
    expect(float32ToFloat16(65504)).toBe(0x7bff);
    expect(float32ToFloat16(65519)).toBe(0x7bff);
    expect(float32ToFloat16(65520)).toBe(0x7c00); // tie rounds to the even (infinite) encoding
    expect(float32ToFloat16(2 ** -24)).toBe(0x0001);
    expect(float32ToFloat16(NaN)).toBe(0x7e00);
    expect(float16ToFloat32(0x3555)).toBe(0.333251953125);
    expect(float16ToFloat32(0xfc00)).toBe(-Infinity);
  });
  it('bfloat16', () => {
    expect(float32ToBfloat16(1)).toBe(0x3f80);
    expect(float32ToBfloat16(1 + 2 ** -8)).toBe(0x3f80); // half an ulp: tie to even
    expect(float32ToBfloat16(1 + 3 * 2 ** -8)).toBe(0x3f82); // 1.5 ulp: tie to even (2 ulp)
    expect(bfloat16ToFloat32(0xc040)).toBe(-3);
  });
});

describe('float4e2m1 (values 0, 0.5, 1, 1.5, 2, 3, 4, 6)', () => {
  it('rounds ties to even and saturates', () => {
    expect([0.25, 0.75, 1.25, 2.5, 5, 7, -1, -0, NaN, Infinity].map(float32ToFloat4e2m1))
      .toEqual([0x0, 0x2, 0x2, 0x4, 0x6, 0x7, 0xa, 0x8, 0x8, 0x7]); // NaN -> -0, as ONNX's Cast
  });
  it('decodes every nibble', () => {
    expect(Array.from({ length: 16 }, (_, i) => float4e2m1ToFloat32(i)))
      .toEqual([0, 0.5, 1, 1.5, 2, 3, 4, 6, -0, -0.5, -1, -1.5, -2, -3, -4, -6]);
  });
});

describe('more hand-derived float8 values', () => {
  it('rounds to the nearest representable value', () => {
    // e4m3fn 0.3 = 1.2 * 2^-2: mantissa 0.2 * 8 = 1.6 -> 2, i.e. 1.25 * 2^-2 = 0.3125; bits 0 0101 010.
    expect(float32ToFloat8(0.3, 'float8e4m3fn')).toBe(0x2a);
    expect(float8ToFloat32(0x2a, 'float8e4m3fn')).toBe(0.3125);
    // 300 = 1.171875 * 2^8: quantum 32 -> 9.375 -> 9 -> 288 = 1.125 * 2^8; bits 0 1111 001.
    expect(float32ToFloat8(300, 'float8e4m3fn', true)).toBe(0x79);
    expect(float32ToFloat8(-Infinity, 'float8e5m2', true)).toBe(0xfb);
  });
  it('float4e2m1 and float16: decode -> encode is the identity on every bit pattern', () => {
    for (const f of [FLOAT4E2M1, FLOAT16]) {
      const n = 1 << (1 + f.expBits + f.manBits);
      for (let b = 0; b < n; b++) {
        const v = miniFloatToNumber(b, f);
        if (!Number.isNaN(v)) expect(numberToMiniFloat(v, f, false)).toBe(b);
      }
    }
  });
});

describe('float8e8m0 (2^(b - 127), 0xFF NaN)', () => {
  it('rounds the exponent by round_mode and saturates', () => {
    expect([3, 4, 0.75, 1].map((v) => float32ToFloat8e8m0(v))).toEqual([129, 129, 127, 127]); // up unless a power of two
    expect(float32ToFloat8e8m0(3, true, 'down')).toBe(128);
    expect(float32ToFloat8e8m0(3, true, 'nearest')).toBe(129); // mantissa 1.5 rounds half up
    expect(float32ToFloat8e8m0(2.9, true, 'nearest')).toBe(128);
    expect(float32ToFloat8e8m0(Infinity)).toBe(0xfe);
    expect(float32ToFloat8e8m0(Infinity, false)).toBe(0xff);
    expect(float32ToFloat8e8m0(NaN)).toBe(0xff);
    expect(float32ToFloat8e8m0(0)).toBe(0);
    expect([0x7f, 0x81, 0x00].map(float8e8m0ToFloat32)).toEqual([1, 4, 2 ** -127]);
    expect(float8e8m0ToFloat32(0xff)).toBeNaN();
  });
});
