import { describe, expect, it } from 'vitest';
import { Tensor } from './tensor.js';

describe('Tensor', () => {
  it('copies and freezes dims (a frozen dims array of another tensor included)', () => {
    const dims = [2, 3];
    const a = new Tensor('float32', new Float32Array(6), dims);
    dims[0] = 9;
    expect(a.dims).toEqual([2, 3]);
    expect(Object.isFrozen(a.dims)).toBe(true);
    const b = new Tensor('float32', a.data, a.dims);
    expect(b.dims).toEqual([2, 3]);
    expect(b.dims).not.toBe(a.dims);
    expect(new Tensor('int64', [1n, 2n]).dims).toEqual([2]);
    expect(new Tensor('float32', [5], []).dims).toEqual([]);
  });

  it('rejects dims that are not non-negative integers, or that do not match the element count', () => {
    expect(() => new Tensor('float32', new Float32Array(2), [2, -1])).toThrow(/dims must be non-negative integers, got \[2, -1\]/);
    expect(() => new Tensor('float32', new Float32Array(2), [1.5])).toThrow(/non-negative integers/);
    expect(() => new Tensor('float32', new Float32Array(6), [2, 2])).toThrow(/float32 data has 6 elements but dims \[2, 2\] need 4/);
  });
});
