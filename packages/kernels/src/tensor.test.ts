import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocData, isDataOf, Tensor, type DType } from './tensor.js';

const NUMERIC: Exclude<DType, 'string'>[] = [
  'float32', 'float64', 'float16', 'bfloat16', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64',
  'bool', 'int4', 'uint4', 'int2', 'uint2', 'float8e4m3fn', 'float8e4m3fnuz', 'float8e5m2', 'float8e5m2fnuz', 'float8e8m0', 'float4e2m1',
];
const STORAGES = [Float32Array, Float64Array, Int8Array, Uint8Array, Int16Array, Uint16Array, Int32Array, Uint32Array, BigInt64Array, BigUint64Array, Uint8ClampedArray];

describe('isDataOf', () => {
  it('is true exactly when the data is an instance of the storage class allocData uses for the dtype (any dtype, any typed array, Node Buffers)', () => {
    fc.assert(fc.property(fc.constantFrom(...NUMERIC), fc.constantFrom(...STORAGES), fc.nat(8), (dtype, C, n) => {
      const cls = allocData(dtype, 0).constructor as typeof Uint8Array;
      const data = new C(n);
      expect(isDataOf(dtype, data)).toBe(data instanceof cls);
      expect(isDataOf(dtype, allocData(dtype, n))).toBe(true);
      expect(isDataOf(dtype, [1, 2])).toBe(false);
    }), { numRuns: 400 });
    expect(isDataOf('uint8', Buffer.alloc(3))).toBe(true);
    expect(isDataOf('int8', Buffer.alloc(3))).toBe(false);
    expect(isDataOf('string', ['a', 'b'])).toBe(true);
    expect(isDataOf('string', new Uint8Array(2))).toBe(false);
  });
});

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
