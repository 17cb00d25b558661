import { describe, expect, it } from 'vitest';
import { createReferenceRegistry } from '../reference.js';
import { allocData, sizeOf, Tensor } from '../tensor.js';
import type { KernelNode } from '../contract.js';

const ctx = { alloc: (d: never, dims: readonly number[]) => new Tensor(d, allocData(d, sizeOf(dims)) as never, dims) as never };

describe('lowbit.DynamicQConv reference kernel', () => {
  it('computes the TSDoc example (registered as lowbit.DynamicQConv:f32), then adds a per-channel bias', () => {
    const node: KernelNode = { name: 'c', opType: 'DynamicQConv', domain: 'lowbit', opset: 1, attrs: new Map(), inputTypes: ['float32', 'int8', 'float32', 'int8'], outputCount: 1 };
    const k = createReferenceRegistry().resolve('lowbit.DynamicQConv:f32').create(node);
    const args = [new Tensor('float32', [1, 2], [1, 1, 1, 2]), new Tensor('int8', [1, -1], [1, 1, 1, 2]), new Tensor('float32', [1], []), new Tensor('int8', [0], [])];
    const [y] = k.run(args, ctx);
    expect(y!.dims).toEqual([1, 1, 1, 1]);
    expect(y!.data[0]).toBe(Math.fround(-128 * Math.fround(2 / 255)));
    const [yb] = k.run([...args, new Tensor('float32', [0.5], [1])], ctx);
    expect(yb!.data[0]).toBe(Math.fround(Math.fround(-128 * Math.fround(2 / 255)) + 0.5));
  });
});
