import { describe, expect, it } from 'vitest';
import { qparamsFromRange, SCALE_EPSILON } from './qparams-from-range.js';

// Every expectation below is the formula evaluated by hand (the comment shows the arithmetic); where float32
// rounding matters the expectation is written as Math.fround of the exact real quotient.

describe('asymmetric', () => {
  it('uint8 [-1, 2]: scale 3/255 = 1/85, zero point 85', () => {
    expect(qparamsFromRange({ min: -1, max: 2 }, { dtype: 'uint8' }))
      .toEqual({ dtype: 'uint8', scale: Math.fround(1 / 85), zeroPoint: 85, qmin: 0, qmax: 255 });
  });
  it('the range is widened to include 0', () => {
    // [2, 4] -> [0, 4]: scale 4/255, zero point 0
    expect(qparamsFromRange({ min: 2, max: 4 }, { dtype: 'uint8' })).toMatchObject({ scale: Math.fround(4 / 255), zeroPoint: 0 });
    // [-4, -2] -> [-4, 0] on int8: scale 4/255, zero point round(-128 + 255) = 127
    expect(qparamsFromRange({ min: -4, max: -2 }, { dtype: 'int8' })).toMatchObject({ scale: Math.fround(4 / 255), zeroPoint: 127 });
  });
  it('int16, uint16, uint2 with exact scales', () => {
    expect(qparamsFromRange({ min: -32768, max: 32767 }, { dtype: 'int16' })).toMatchObject({ scale: 1, zeroPoint: 0 });
    expect(qparamsFromRange({ min: 0, max: 65535 }, { dtype: 'uint16' })).toMatchObject({ scale: 1, zeroPoint: 0 });
    expect(qparamsFromRange({ min: -1, max: 2 }, { dtype: 'uint2' })).toMatchObject({ scale: 1, zeroPoint: 1 }); // 3/3
  });
});

describe('symmetric', () => {
  it('int8 [-1, 2]: a = 2, scale 2/127, zero point 0, full range kept', () => {
    expect(qparamsFromRange({ min: -1, max: 2 }, { dtype: 'int8', scheme: 'symmetric' }))
      .toEqual({ dtype: 'int8', scale: Math.fround(2 / 127), zeroPoint: 0, qmin: -128, qmax: 127 });
  });
  it('symmetric-restricted narrows int8 to [-127, 127] and uint8 to [1, 255]', () => {
    expect(qparamsFromRange({ min: -1, max: 2 }, { dtype: 'int8', scheme: 'symmetric-restricted' }))
      .toEqual({ dtype: 'int8', scale: Math.fround(2 / 127), zeroPoint: 0, qmin: -127, qmax: 127 });
    // uint8: zero point 128, a / min(255 - 128, 128 - 0) = 127 / 127
    expect(qparamsFromRange({ min: -127, max: 50 }, { dtype: 'uint8', scheme: 'symmetric-restricted' }))
      .toEqual({ dtype: 'uint8', scale: 1, zeroPoint: 128, qmin: 1, qmax: 255 });
  });
  it('4-bit and 2-bit', () => {
    expect(qparamsFromRange({ min: -7, max: 3.5 }, { dtype: 'int4', scheme: 'symmetric' })).toMatchObject({ scale: 1, zeroPoint: 0 });
    expect(qparamsFromRange({ min: -7, max: 3.5 }, { dtype: 'uint4', scheme: 'symmetric' })).toMatchObject({ scale: 1, zeroPoint: 8 });
    expect(qparamsFromRange({ min: -1, max: 0.5 }, { dtype: 'int2', scheme: 'symmetric' })).toMatchObject({ scale: 1, zeroPoint: 0 });
  });
  it('float8 / float4: scale = a / max finite', () => {
    expect(qparamsFromRange({ min: -896, max: 10 }, { dtype: 'float8e4m3fn' })).toMatchObject({ scale: 2, zeroPoint: 0 }); // 896/448
    expect(qparamsFromRange({ min: 0, max: 229376 }, { dtype: 'float8e5m2' })).toMatchObject({ scale: 4 }); // 229376/57344
    expect(qparamsFromRange({ min: -3, max: 0 }, { dtype: 'float4e2m1' })).toMatchObject({ scale: 0.5 }); // 3/6
    expect(qparamsFromRange({ min: -480, max: 0 }, { dtype: 'float8e4m3fnuz' })).toMatchObject({ scale: 2 }); // 480/240
  });
});

describe('reduce-range (one bit fewer)', () => {
  it('uint8 -> [0, 127], int8 -> [-64, 63], restricted int8 -> [-63, 63]', () => {
    expect(qparamsFromRange({ min: 0, max: 127 }, { dtype: 'uint8', reduceRange: true }))
      .toEqual({ dtype: 'uint8', scale: 1, zeroPoint: 0, qmin: 0, qmax: 127 });
    expect(qparamsFromRange({ min: -64, max: 63 }, { dtype: 'int8', reduceRange: true }))
      .toEqual({ dtype: 'int8', scale: 1, zeroPoint: 0, qmin: -64, qmax: 63 }); // 127/127, round(-64 + 64)
    expect(qparamsFromRange({ min: -63, max: 10 }, { dtype: 'int8', scheme: 'symmetric-restricted', reduceRange: true }))
      .toEqual({ dtype: 'int8', scale: 1, zeroPoint: 0, qmin: -63, qmax: 63 });
  });
});

describe('power-of-two scales', () => {
  it('rounds up to the next power of two', () => {
    // 3/255 = 0.01176 lies in (2^-7, 2^-6]
    expect(qparamsFromRange({ min: 0, max: 3 }, { dtype: 'uint8', powerOfTwo: true }).scale).toBe(2 ** -6);
    // 1/127 = 0.007874 lies in (2^-7, 2^-6]
    expect(qparamsFromRange({ min: -1, max: 1 }, { dtype: 'int8', scheme: 'symmetric', powerOfTwo: true }).scale).toBe(2 ** -6);
  });
  it('keeps an exact power of two', () => {
    expect(qparamsFromRange({ min: -127, max: 0 }, { dtype: 'int8', scheme: 'symmetric', powerOfTwo: true }).scale).toBe(1);
  });
});

describe('scale clamped away from 0', () => {
  it('empty range [0, 0] gets scale 1', () => {
    expect(qparamsFromRange({ min: 0, max: 0 }, { dtype: 'uint8' })).toMatchObject({ scale: 1, zeroPoint: 0 });
    expect(qparamsFromRange({ min: 0, max: 0 }, { dtype: 'int8', scheme: 'symmetric' })).toMatchObject({ scale: 1, zeroPoint: 0 });
  });
  it('a tiny range gets at least 2^-23', () => {
    expect(qparamsFromRange({ min: 0, max: 1e-12 }, { dtype: 'uint8' }).scale).toBe(SCALE_EPSILON);
    expect(SCALE_EPSILON).toBe(1.1920928955078125e-7);
  });
});
