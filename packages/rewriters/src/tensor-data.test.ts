import { describe, expect, it } from 'vitest';
import { DataType, tensorFromValues } from '@lowbit/onnx-ir';
import type { InlineTensor } from '@lowbit/onnx-ir';
import { RewriteError } from './errors.js';
import { makeTensor, tensorFloats, tensorNumbers } from './tensor-data.js';

describe('tensor-data reads through onnx-ir and writes what it reads', () => {
  it('decodes packed int4 (sign-extended), int64 and float32 values as numbers', () => {
    expect(Array.from(tensorNumbers(tensorFromValues('a', DataType.INT4, [3], [-1, 2, 7])))).toEqual([-1, 2, 7]);
    expect(Array.from(tensorNumbers(tensorFromValues('b', DataType.INT64, [2], [-3n, 2n ** 40n])))).toEqual([-3, 2 ** 40]);
    expect(Array.from(tensorFloats(tensorFromValues('c', DataType.FLOAT, [2], [0.1, -2])))).toEqual([Math.fround(0.1), -2]);
  });
  it('round-trips what makeTensor writes (uint4, int16, int64 saturating at its range)', () => {
    expect(Array.from(tensorNumbers(makeTensor('u', DataType.UINT4, [3], [15, 0, 9])))).toEqual([15, 0, 9]);
    expect(Array.from(tensorNumbers(makeTensor('s', DataType.INT16, [2], [-32768, 32767])))).toEqual([-32768, 32767]);
    expect(Array.from(tensorNumbers(makeTensor('l', DataType.INT64, [2], [2 ** 63, -(2 ** 63)])))).toEqual([2 ** 63, -(2 ** 63)]);
  });
  it('refuses bit-pattern dtypes and byte counts that do not match the dims, naming the tensor', () => {
    expect(() => tensorNumbers(tensorFromValues('h', DataType.FLOAT16, [1], [0x3c00]))).toThrow(RewriteError);
    const short: InlineTensor = { kind: 'inline', name: 'w', dtype: DataType.FLOAT, dims: [3], data: new Uint8Array(8), encoding: 'raw' };
    expect(() => tensorNumbers(short)).toThrow(/"w"/);
    expect(() => tensorNumbers(short)).toThrow(RewriteError);
  });
});
