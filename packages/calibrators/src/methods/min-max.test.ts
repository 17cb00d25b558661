import { describe, expect, it } from 'vitest';
import { CalibrationError } from '../core/errors.js';
import { minMax } from './min-max.js';

const t = (dims: number[], values: number[]) => ({ dims, data: Float32Array.from(values) });

describe('min-max', () => {
  it('the state does not depend on observation order, signed zeros included (observed values are +0-normalised)', () => {
    // Batches [0] and [-0] in either order, and their merge, give the same bytes.
    const a = t([1], [0]);
    const b = t([1], [-0]);
    const ab = minMax.observe(minMax.observe(minMax.init({ includeZero: false }), a), b);
    const ba = minMax.observe(minMax.observe(minMax.init({ includeZero: false }), b), a);
    expect(minMax.encode(ba)).toEqual(minMax.encode(ab));
    const merged = minMax.merge(minMax.observe(minMax.init({ includeZero: false }), b), minMax.observe(minMax.init({ includeZero: false }), a));
    expect(minMax.encode(merged)).toEqual(minMax.encode(ab));
    expect(minMax.encode(minMax.observe(minMax.init({}), t([2], [0, -0])))).toEqual(minMax.encode(minMax.observe(minMax.init({}), t([2], [-0, 0]))));
  });

  it('per tensor: extrema over all batches, NaN and Infinity ignored', () => {
    // Batches [-1, 3] and [2, 5, NaN, Inf]: min = -1, max = 5 (the non-finite values carry no range).
    let s = minMax.init({});
    s = minMax.observe(s, t([2], [-1, 3]));
    s = minMax.observe(s, t([4], [2, 5, NaN, Infinity]));
    expect(minMax.computeRange(s)).toEqual({ axis: null, min: [-1], max: [5] });
    // Symmetric: a = max(|-1|, |5|) = 5 -> [-5, 5].
    const sym = minMax.observe(minMax.init({ symmetric: true }), t([2], [-1, 5]));
    expect(minMax.computeRange(sym)).toEqual({ axis: null, min: [-5], max: [5] });
  });

  it('widens to zero unless includeZero is false; nothing observed is [0, 0]', () => {
    // Values [1, 2]: raw [1, 2]; with zero [0, 2].
    expect(minMax.computeRange(minMax.observe(minMax.init({}), t([2], [1, 2])))).toEqual({ axis: null, min: [0], max: [2] });
    expect(minMax.computeRange(minMax.observe(minMax.init({ includeZero: false }), t([2], [1, 2])))).toEqual({ axis: null, min: [1], max: [2] });
    expect(minMax.computeRange(minMax.init({}))).toEqual({ axis: null, min: [0], max: [0] });
  });

  it('per channel along an axis', () => {
    // dims [2, 2], axis 1: channel 0 = elements 0 and 2 = {1, 3}; channel 1 = elements 1 and 3 = {-2, 4}.
    const s = minMax.observe(minMax.init({ axis: 1, includeZero: false }), t([2, 2], [1, -2, 3, 4]));
    expect(minMax.computeRange(s)).toEqual({ axis: 1, min: [1, -2], max: [3, 4] });
    // axis -1 is the same axis for rank 2.
    const s2 = minMax.observe(minMax.init({ axis: -1, includeZero: false }), t([2, 2], [1, -2, 3, 4]));
    expect(minMax.computeRange(s2).min).toEqual([1, -2]);
  });

  it('rejects batches whose channel count changes, bad axes and bad data', () => {
    const s = minMax.observe(minMax.init({ axis: 1 }), t([1, 2], [0, 0]));
    expect(() => minMax.observe(s, t([1, 3], [0, 0, 0]))).toThrow(CalibrationError);
    expect(() => minMax.observe(minMax.init({ axis: 2 }), t([1, 2], [0, 0]))).toThrow(/axis 2 is out of range/);
    expect(() => minMax.observe(minMax.init({}), { dims: [2], data: new Float64Array(2) as unknown as Float32Array })).toThrow(/Float32Array/);
    expect(() => minMax.observe(minMax.init({}), t([3], [1, 2]))).toThrow(/need 3 elements/);
    expect(() => minMax.merge(minMax.init({ symmetric: true }), minMax.init({}))).toThrow(/different specs/);
  });

  it('encodes with the versioned header and rejects garbage', () => {
    const s = minMax.observe(minMax.init({}), t([2], [-1, 3]));
    const b = minMax.encode(s);
    expect(new TextDecoder().decode(b.subarray(0, 4))).toBe('LBCS');
    expect(b[4] | (b[5] << 8)).toBe(1);
    expect(minMax.decode(b)).toEqual(s);
    for (const bad of [new Uint8Array(0), new Uint8Array([1, 2, 3, 4, 5]), b.subarray(0, b.length - 1), Uint8Array.from([...b, 0])]) {
      expect(() => minMax.decode(bad)).toThrow(CalibrationError);
    }
    const wrongVersion = b.slice();
    wrongVersion[4] = 9;
    expect(() => minMax.decode(wrongVersion)).toThrow(/unsupported format version 9/);
  });
});
