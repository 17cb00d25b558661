import { describe, expect, it } from 'vitest';
import { dequantize } from './dequantize.js';
import { dynamicQuantize } from './dynamic-quantize.js';
import { quantize } from './quantize.js';

// Expected values worked by hand from y = saturate(roundHalfEven(x / scale) + zero_point).

describe('quantize', () => {
  it('uint8 per-tensor: the TSDoc example', () => {
    const q = quantize([3.5, 1, 600, -600, NaN, Infinity], [6], { dtype: 'uint8', scale: [2], zeroPoint: [128] });
    // 1.75 -> 2 (+128 = 130); 0.5 -> 0 (tie to even); 300 -> 255; -300 -> 0; NaN -> qmin (as onnxruntime); +Inf -> 255
    expect(Array.from(q)).toEqual([130, 128, 255, 0, 0, 255]);
    expect(q).toBeInstanceOf(Uint8Array);
  });
  it('int4 per-axis on a negative axis', () => {
    // dims [2, 3], axis -1 = 1: column scales 1, 2, 4
    const q = quantize([1, 2, 4, -9, -5, 40], [2, 3], { dtype: 'int4', scale: [1, 2, 4], axis: -1 });
    // 1, 1, 1 ; -9 -> -8 (saturate), -2.5 -> -2 (tie to even), 10 -> 7
    expect(Array.from(q)).toEqual([1, 1, 1, -8, -2, 7]);
    expect(q).toBeInstanceOf(Int8Array);
  });
  it('blocked with a shorter last block (ONNX opset 21+)', () => {
    // dims [1, 5], axis 1, block 2 -> scale dims [1, 3]: blocks {0,1} scale 1, {2,3} scale 2, {4} scale 4
    const q = quantize([2, 4, 6, 8, 8], [1, 5], { dtype: 'int8', scale: [1, 2, 4], paramDims: [1, 3], axis: 1, blockSize: 2 });
    expect(Array.from(q)).toEqual([2, 4, 3, 4, 2]);
  });
  it('honours optional narrower bounds (symmetric-restricted / reduce-range)', () => {
    const q = quantize([-200, 200], [2], { dtype: 'int8', scale: [1], qmin: -127, qmax: 127 });
    expect(Array.from(q)).toEqual([-127, 127]);
  });
  it('float8 e4m3fn with and without saturate', () => {
    // x / 2 = 1, 300, -300: 1 -> 0x38; 300 -> 288 (0x79: 1.125 * 2^8) since 300 lies between 288 and 320, nearer 288
    expect(Array.from(quantize([2, 600, -1000], [3], { dtype: 'float8e4m3fn', scale: [2] })))
      .toEqual([0x38, 0x79, 0xfe]);
    expect(Array.from(quantize([-1000], [1], { dtype: 'float8e4m3fn', scale: [2] }, { saturate: false }))).toEqual([0xff]);
  });
  it('division precision: float16 rounds x first (opset 23 precision / float16 scale)', () => {
    // 2.5004 in float16 (spacing 2^-9 near 2) is 2.5, a tie that rounds to 2; in float32 it stays 2.5004 -> 3
    expect(Array.from(quantize([2.5004], [1], { dtype: 'int8', scale: [1] }, { precision: 'float16' }))).toEqual([2]);
    expect(Array.from(quantize([2.5004], [1], { dtype: 'int8', scale: [1] }))).toEqual([3]);
  });
  it('uint16 and int16', () => {
    expect(Array.from(quantize([1, 70000, -1], [3], { dtype: 'uint16', scale: [1], zeroPoint: [10] }))).toEqual([11, 65535, 9]);
    expect(Array.from(quantize([65536.5, -2.5], [2], { dtype: 'int16', scale: [1] }))).toEqual([32767, -2]);
  });
});

describe('dequantize', () => {
  it('uint8 per-tensor: the TSDoc example', () => {
    expect(Array.from(dequantize([130, 0], [2], { dtype: 'uint8', scale: [0.5], zeroPoint: [128] }))).toEqual([1, -64]);
  });
  it('float16 output rounds the float32 product', () => {
    // (1 - 0) * 0.1f = 0.100000001490116; nearest half is 0x2e66 (0.0999755859375)
    const y = dequantize([1], [1], { dtype: 'int8', scale: [Math.fround(0.1)] }, { outputDType: 'float16' });
    expect(Array.from(y)).toEqual([0x2e66]);
  });
  it('int32 (biases): rounded to float32 first, no zero point', () => {
    // fround(16777217) = 16777216 (2^24 + 1 is not a float32), * 0.5 = 8388608; -3 * 0.5 = -1.5
    expect(Array.from(dequantize(Int32Array.of(16777217, -3), [2], { dtype: 'int32', scale: [0.5] }))).toEqual([8388608, -1.5]);
    expect(() => dequantize([1], [1], { dtype: 'int32', scale: [1], zeroPoint: [2] })).toThrow(/no zero point/);
  });
  it('float8 decodes NaN and Inf', () => {
    expect(Array.from(dequantize([0x7c, 0x7e, 0x3c], [3], { dtype: 'float8e5m2', scale: [2] }))).toEqual([Infinity, NaN, 2]);
  });
});

describe('dynamicQuantize', () => {
  it('the TSDoc example (same numbers as ONNX test_dynamicquantizelinear)', () => {
    const r = dynamicQuantize(Float32Array.of(0, 2, -3, -2.5, 1.34, 0.5));
    expect(r.scale).toBe(Math.fround(5 / 255));
    expect(r.zeroPoint).toBe(153);
    expect(Array.from(r.y)).toEqual([153, 255, 0, 26, 221, 179]);
  });
  it('all zeros: scale 1, zero point 0', () => {
    const r = dynamicQuantize([0, 0]);
    expect([r.scale, r.zeroPoint, ...r.y]).toEqual([1, 0, 0, 0]);
  });
  it('a subnormal range whose scale underflows to 0 quantizes as zeros do: scale 1, zero point 0, y all 0', () => {
    const tiny = 2 ** -149;
    for (const x of [[tiny, tiny], [-tiny, 0, tiny], [-2 * tiny, -tiny], [2 ** -144, -(2 ** -144)]]) {
      expect(Math.fround((Math.max(0, ...x) - Math.min(0, ...x)) / 255)).toBe(0);
      const r = dynamicQuantize(Float32Array.from(x));
      expect([r.scale, r.zeroPoint, ...r.y]).toEqual([1, 0, ...x.map(() => 0)]);
    }
    // the smallest range that does not underflow keeps the formula: a subnormal scale
    const r = dynamicQuantize([2 ** -140, 0]);
    expect(r.scale).toBe(Math.fround(2 ** -140 / 255));
    expect(r.scale).toBeGreaterThan(0);
    expect([r.zeroPoint, ...r.y]).toEqual([0, 255, 0]);
  });
});
