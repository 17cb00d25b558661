import { describe, expect, it } from 'vitest';
import { dequantize } from './dequantize.js';
import { PRESETS } from './presets.js';
import { qparamsFromRange, type QParams } from './qparams-from-range.js';
import { quantize } from './quantize.js';

// Each preset is pinned by a worked example computed by hand from the documented formula (comments show the
// arithmetic). Ranges are chosen so the scales are exact where possible.

function q(p: QParams, xs: number[]): number[] {
  return Array.from(quantize(xs, [xs.length], { dtype: p.dtype, scale: [p.scale], zeroPoint: [p.zeroPoint], qmin: p.qmin, qmax: p.qmax }));
}

describe('ONNX Runtime', () => {
  it('uint8 asymmetric: [-1, 2] -> scale (2 - -1) / (255 - 0) = 1/85, zp = round(0 - -1 * 85) = 85', () => {
    const p = qparamsFromRange({ min: -1, max: 2 }, PRESETS['onnxruntime-uint8-asymmetric']);
    expect([p.scale, p.zeroPoint]).toEqual([Math.fround(1 / 85), 85]);
    expect(q(p, [-1, 0, 2])).toEqual([0, 85, 255]);
  });
  it('int8 asymmetric: [-1, 2] -> scale 1/85, zp = round(-128 + 85) = -43', () => {
    const p = qparamsFromRange({ min: -1, max: 2 }, PRESETS['onnxruntime-int8-asymmetric']);
    expect([p.scale, p.zeroPoint]).toEqual([Math.fround(1 / 85), -43]);
    expect(q(p, [-1, 0, 2])).toEqual([-128, -43, 127]);
  });
  it('int8 symmetric: [-127, 50] -> scale 2 * 127 / (127 - -128 - 1) = 1, zp = round(-127 + 127) = 0, range [-127, 127]', () => {
    const p = qparamsFromRange({ min: -127, max: 50 }, PRESETS['onnxruntime-int8-symmetric']);
    expect(p).toEqual({ dtype: 'int8', scale: 1, zeroPoint: 0, qmin: -127, qmax: 127 });
    expect(q(p, [-200, 50])).toEqual([-127, 50]); // never -128
  });
  it('uint8 symmetric: [-127.5, 10] -> scale 2 * 127.5 / 255 = 1, zp = round(0 + 127.5) = 128 (tie to even)', () => {
    const p = qparamsFromRange({ min: -127.5, max: 10 }, PRESETS['onnxruntime-uint8-symmetric']);
    expect([p.scale, p.zeroPoint]).toEqual([1, 128]);
    // +a = 127.5 -> round(127.5) + 128 = 256 -> saturates at 255: +a is not representable (dequantizes to 127)
    expect(q(p, [127.5])).toEqual([255]);
    expect(Array.from(dequantize([255], [1], { dtype: 'uint8', scale: [p.scale], zeroPoint: [p.zeroPoint] }))).toEqual([127]);
  });
  it('uint8 symmetric, a = 1: float32 puts a / scale below 127.5, so the zero point is 127', () => {
    // scale = fround(2/255) = 0.0078431377 (> 2/255 = 0.0078431373), 1 / scale = 127.4999924 -> 127
    const p = qparamsFromRange({ min: -1, max: 1 }, PRESETS['onnxruntime-uint8-symmetric']);
    expect(p.scale).toBe(0.007843137718737125);
    expect(p.zeroPoint).toBe(127);
  });
});

describe('Neural Compressor', () => {
  it('INT8 symmetric: [-127, 50] -> scale 2 * 127 / (127 + 128 - 1) = 1, zp 0, -128 stays available', () => {
    const p = qparamsFromRange({ min: -127, max: 50 }, PRESETS['neural-compressor-int8-symmetric']);
    expect(p).toEqual({ dtype: 'int8', scale: 1, zeroPoint: 0, qmin: -128, qmax: 127 });
    expect(q(p, [-127, -200, 50])).toEqual([-127, -128, 50]);
  });
  it('UINT8 symmetric (oneDNN): [-10, 255] -> scale max(rmin, rmax) / 255 = 1, zp 0: negatives cannot be represented', () => {
    const p = qparamsFromRange({ min: -10, max: 255 }, PRESETS['neural-compressor-uint8-symmetric']);
    expect([p.scale, p.zeroPoint]).toEqual([1, 0]);
    // -10 is inside the calibrated range yet saturates to 0: an error of 10 scales
    expect(q(p, [-10, 255])).toEqual([0, 255]);
  });
  it('UINT8 symmetric with zero point 128: [-127.5, 127.5] -> scale 127.5 / ((127 + 128) / 2) = 1', () => {
    const p = qparamsFromRange({ min: -127.5, max: 127.5 }, PRESETS['neural-compressor-uint8-symmetric-128']);
    expect([p.scale, p.zeroPoint]).toEqual([1, 128]);
    // -a -> round(-127.5) + 128 = 0 ; +a -> round(127.5) + 128 = 256 -> 255: the top of the range is clipped
    expect(q(p, [-127.5, 127.5])).toEqual([0, 255]);
  });
  it('INT8 symmetric, half-span divisor: [-127.5, 127.5] -> scale 1, +a -> 128 saturates to 127', () => {
    const p = qparamsFromRange({ min: -127.5, max: 127.5 }, PRESETS['neural-compressor-int8-symmetric-half-span']);
    expect([p.scale, p.zeroPoint]).toEqual([1, 0]);
    expect(q(p, [-127.5, 127.5])).toEqual([-128, 127]);
  });
  it('UINT8 asymmetric: [-51, 204] -> scale 255 / 255 = 1, zp = 0 - round(-51 / 1) = 51', () => {
    const p = qparamsFromRange({ min: -51, max: 204 }, PRESETS['neural-compressor-uint8-asymmetric']);
    expect([p.scale, p.zeroPoint]).toEqual([1, 51]);
    expect(q(p, [-51, 0, 204])).toEqual([0, 51, 255]);
  });
  it('UINT8 asymmetric with reduce_range: [-51, 76] -> scale 127 / 127 = 1, zp 51, codes stay in [0, 127]', () => {
    const p = qparamsFromRange({ min: -51, max: 76 }, PRESETS['neural-compressor-uint8-asymmetric-reduce-range']);
    expect(p).toEqual({ dtype: 'uint8', scale: 1, zeroPoint: 51, qmin: 0, qmax: 127 });
    expect(q(p, [-51, 76, 100])).toEqual([0, 127, 127]);
  });
});

describe('NNP-I', () => {
  it('GemmLowP (uint8 with offset): [-2, 508] -> scale 510 / 255 = 2, offset round(2 / 2) = 1', () => {
    const p = qparamsFromRange({ min: -2, max: 508 }, PRESETS['nnpi-gemmlowp']);
    expect([p.scale, p.zeroPoint]).toEqual([2, 1]);
    // 3 / 2 = 1.5 -> 2 (tie to even) + 1 = 3; 5 / 2 = 2.5 -> 2 + 1 = 3
    expect(q(p, [3, 5, -2, 508])).toEqual([3, 3, 0, 255]);
  });
  it('SymLowP (zero offset): [-254, 100] -> scale 254 / 127 = 2, offset 0, [-127, 127]', () => {
    const p = qparamsFromRange({ min: -254, max: 100 }, PRESETS['nnpi-symlowp']);
    expect(p).toEqual({ dtype: 'int8', scale: 2, zeroPoint: 0, qmin: -127, qmax: 127 });
    expect(q(p, [-254, -300, 3])).toEqual([-127, -127, 2]);
  });
});
