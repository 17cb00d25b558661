import { describe, expect, it } from 'vitest';
import { createReferenceRegistry } from '../reference.js';
import { allocData, sizeOf, Tensor } from '../tensor.js';
import type { KernelNode } from '../contract.js';

const ctx = { alloc: (d: never, dims: readonly number[]) => new Tensor(d, allocData(d, sizeOf(dims)) as never, dims) as never };
const node = (transB: number): KernelNode => ({ name: 'g', opType: 'QGemm', domain: 'lowbit', opset: 1, attrs: new Map([['transB', transB]]), inputTypes: ['uint8', 'float32', 'uint8', 'int8', 'float32', 'int8', 'float32', 'uint8', 'int32'], outputCount: 1 });
const s = (v: number) => new Tensor('float32', [v], []);

describe('lowbit.QGemm reference kernel', () => {
  it('computes the TSDoc example (registered as lowbit.QGemm:u8)', () => {
    const k = createReferenceRegistry().resolve('lowbit.QGemm:u8').create(node(0));
    const [y] = k.run([new Tensor('uint8', [2, 3], [1, 2]), s(0.5), new Tensor('uint8', [0], []), new Tensor('int8', [4, 5], [2, 1]), s(0.5), new Tensor('int8', [0], []), s(1), new Tensor('uint8', [0], []), new Tensor('int32', [1], [1])], ctx);
    expect(y!.dims).toEqual([1, 1]);
    expect(y!.data[0]).toBe(6);
  });

  it('transB reads b as [N, K]; per-column scales and zero points; saturates', () => {
    const k = createReferenceRegistry().resolve('lowbit.QGemm:u8').create(node(1));
    // a = [[10, 20]] (zp 10), b^T = [[1, 2], [3, -4]] (zp [0, 1]) -> acc = [0*1 + 10*2, 0*2 + 10*(-5)] = [20, -50]
    const [y] = k.run([new Tensor('uint8', [10, 20], [1, 2]), s(1), new Tensor('uint8', [10], []), new Tensor('int8', [1, 2, 3, -4], [2, 2]), new Tensor('float32', [1, 2], [2]), new Tensor('int8', [0, 1], [2]), s(2), new Tensor('uint8', [128], []), null], ctx);
    expect(Array.from(y!.data as Uint8Array)).toEqual([128 + 10, 128 - 50]);
  });
});
