import { describe, expect, it } from 'vitest';
import { createReferenceRegistry } from '../reference.js';
import { allocData, sizeOf, Tensor } from '../tensor.js';
import type { KernelNode } from '../contract.js';

const node: KernelNode = { name: 'd', opType: 'DynamicQMatMul', domain: 'lowbit', opset: 1, attrs: new Map(), inputTypes: ['float32', 'int8', 'float32', 'int8'], outputCount: 1 };
const ctx = { alloc: (d: never, dims: readonly number[]) => new Tensor(d, allocData(d, sizeOf(dims)) as never, dims) as never };

describe('lowbit.DynamicQMatMul reference kernel', () => {
  it('is registered under lowbit.DynamicQMatMul:f32 and computes the TSDoc example', () => {
    const k = createReferenceRegistry().resolve('lowbit.DynamicQMatMul:f32').create(node);
    const [y] = k.run([new Tensor('float32', [1, 2], [1, 2]), new Tensor('int8', [1, -1], [2, 1]), new Tensor('float32', [Math.fround(1 / 127)], []), new Tensor('int8', [0], [])], ctx);
    const expected = Math.fround(-128 * Math.fround(Math.fround(2 / 255) * Math.fround(1 / 127)));
    expect(y!.dims).toEqual([1, 1]);
    expect(y!.data[0]).toBe(expected);
  });

  it('adds a per-column bias after the rescale, in float32', () => {
    const k = createReferenceRegistry().resolve('lowbit.DynamicQMatMul:f32').create({ ...node, inputTypes: [...node.inputTypes, 'float32'] });
    const [y] = k.run([new Tensor('float32', [1, 2], [1, 2]), new Tensor('int8', [1, 0, -1, 2], [2, 2]), new Tensor('float32', [0.5], []), new Tensor('int8', [0], []), new Tensor('float32', [0.25, -1], [2])], ctx);
    const s = Math.fround(Math.fround(2 / 255) * 0.5);
    expect(Array.from(y!.data as Float32Array)).toEqual([Math.fround(Math.fround(-128 * s) + 0.25), Math.fround(Math.fround(510 * s) - 1)]);
  });
});
