import { describe, expect, it } from 'vitest';
import { chooseQParams } from './choose-qparams.js';
import { dequantize } from './dequantize.js';
import { quantize } from './quantize.js';

// Expected scales are the group ranges run through the formulas by hand (see qparams-from-range.test.ts).

describe('chooseQParams', () => {
  it('per-tensor', () => {
    const p = chooseQParams({ data: [-1, 0.5, 2], dims: [3] }, { dtype: 'uint8' });
    expect(p.granularity).toBe('per-tensor');
    expect(p.paramDims).toEqual([]);
    expect(Array.from(p.scale)).toEqual([Math.fround(1 / 85)]);
    expect(Array.from(p.zeroPoint)).toEqual([85]);
    expect([p.mins[0], p.maxs[0]]).toEqual([-1, 2]);
  });
  it('per-axis, axis 0: rows [1, -2] and [3, 4] (int8 symmetric)', () => {
    const p = chooseQParams({ data: [1, -2, 3, 4], dims: [2, 2] }, { dtype: 'int8', scheme: 'symmetric', granularity: 'per-axis', axis: 0 });
    expect(Array.from(p.scale)).toEqual([Math.fround(2 / 127), Math.fround(4 / 127)]);
    expect(Array.from(p.zeroPoint)).toEqual([0, 0]);
    expect(p.zeroPoint).toBeInstanceOf(Int8Array);
    expect(p.paramDims).toEqual([2]);
  });
  it('per-axis, axis -1: columns [1, 3] and [-2, 4] (uint8 asymmetric)', () => {
    const p = chooseQParams({ data: [1, -2, 3, 4], dims: [2, 2] }, { dtype: 'uint8', granularity: 'per-axis', axis: -1 });
    // column 0: [0, 3] -> 3/255, zp 0; column 1: [-2, 4] -> 6/255, zp round(2 / (6/255)) = 85
    expect(Array.from(p.scale)).toEqual([Math.fround(3 / 255), Math.fround(6 / 255)]);
    expect(Array.from(p.zeroPoint)).toEqual([0, 85]);
    expect(p.axis).toBe(1);
  });
  it('per-block, axis 1, block 2 (int8 symmetric)', () => {
    const data = [0, 1, 2, 3, -4, 4, 8, -8];
    const p = chooseQParams({ data, dims: [2, 4] }, { dtype: 'int8', scheme: 'symmetric', granularity: 'per-block', axis: 1, blockSize: 2 });
    // blocks: [0, 1] a=1, [2, 3] a=3, [-4, 4] a=4, [8, -8] a=8
    expect(Array.from(p.scale)).toEqual([1, 3, 4, 8].map((a) => Math.fround(a / 127)));
    expect(p.paramDims).toEqual([2, 2]);
    expect(p.blockSize).toBe(2);
    // the result plugs into quantize/dequantize: block maxima land on +-127
    const q = quantize(data, [2, 4], p);
    expect(Array.from(q)).toEqual([0, 127, 85, 127, -127, 127, 127, -127]); // 2/(3/127) = 84.67 -> 85
    expect(dequantize(q, [2, 4], p)[7]).toBe(Math.fround(-127 * Math.fround(8 / 127)));
  });
  it('float8 zero points are the bit pattern 0', () => {
    const p = chooseQParams({ data: [-896, 3], dims: [2] }, { dtype: 'float8e4m3fn' });
    expect(Array.from(p.scale)).toEqual([2]);
    expect(p.zeroPoint).toEqual(new Uint8Array([0]));
  });
});
