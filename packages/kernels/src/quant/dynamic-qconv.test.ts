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

  it('quantized-input form (lowbit.DynamicQConv:u8): the TSDoc example from x_q, x_scale, x_zero_point gives the float form\'s y; typed errors for bad parameters', () => {
    const reg = createReferenceRegistry();
    const node: KernelNode = { name: 'c', opType: 'DynamicQConv', domain: 'lowbit', opset: 1, attrs: new Map(), inputTypes: ['uint8', 'int8', 'float32', 'int8', null, 'float32', 'uint8'], outputCount: 1 };
    const k = reg.resolve('lowbit.DynamicQConv:u8').create(node);
    const w = [new Tensor('int8', [1, -1], [1, 1, 1, 2]), new Tensor('float32', [1], []), new Tensor('int8', [0], [])];
    const xs = new Tensor('float32', [Math.fround(2 / 255)], []);
    const [y] = k.run([new Tensor('uint8', [127, 255], [1, 1, 1, 2]), ...w, null, xs, new Tensor('uint8', [0], [])], ctx);
    const [yf] = reg.resolve('lowbit.DynamicQConv:f32').create({ ...node, inputTypes: ['float32', 'int8', 'float32', 'int8'] }).run([new Tensor('float32', [1, 2], [1, 1, 1, 2]), ...w], ctx);
    expect(y!.data[0]).toBe(Math.fround(-128 * Math.fround(2 / 255)));
    expect(y!.data[0]).toBe(yf!.data[0]);
    // x_zero_point 100: acc = (127 - 100) - (255 - 100) = -128 as well
    const [y100] = k.run([new Tensor('uint8', [127, 255], [1, 1, 1, 2]), ...w, null, xs, new Tensor('uint8', [100], [])], ctx);
    expect(y100!.data[0]).toBe(y!.data[0]);
    const xq = new Tensor('uint8', [1, 2], [1, 1, 1, 2]);
    expect(() => k.run([xq, ...w, null, new Tensor('float32', [1, 2], [2]), new Tensor('uint8', [0], [])], ctx)).toThrow(/x_scale/);
    expect(() => k.run([xq, ...w, null, xs, new Tensor('int8', [0], [])], ctx)).toThrow(/dtype/);
    expect(() => k.run([xq, ...w, null, xs], ctx)).toThrow();
  });

  it('applies a fused Relu / Clip after the bias as the reference Relu / Clip (-0 -> +0 for Relu only), and rejects bad activations', () => {
    const reg = createReferenceRegistry();
    const base: KernelNode = { name: 'c', opType: 'DynamicQConv', domain: 'lowbit', opset: 1, attrs: new Map(), inputTypes: ['float32', 'int8', 'float32', 'int8', 'float32'], outputCount: 1 };
    // 1x1 conv, 4 output channels of one input channel; a negative w_scale gives -0 for zero sums (channel 2: -0 + -0)
    const x = new Tensor('float32', [-1, 0, 0.5, 2], [1, 1, 2, 2]);
    const w = new Tensor('int8', [1, -1, 0, 3], [4, 1, 1, 1]);
    const args = [x, w, new Tensor('float32', [-1], []), new Tensor('int8', [0], []), new Tensor('float32', [0, 0.25, -0, -1], [4])];
    const [plain] = reg.resolve('lowbit.DynamicQConv:f32').create(base).run(args, ctx);
    const run = (attrs: [string, number][]) => reg.resolve('lowbit.DynamicQConv:f32').create({ ...base, attrs: new Map(attrs) }).run(args, ctx)[0]!;
    const relu = run([['activation', 1]]);
    const clip = run([['activation', 2], ['activation_min', 0], ['activation_max', 1.5]]);
    const p = Array.from(plain!.data as Float32Array);
    expect(p.some((v) => v < 0) && p.some((v) => v > 1.5) && p.some((v) => Object.is(v, -0))).toBe(true);
    p.forEach((v, i) => {
      expect(Object.is(relu.data[i], v > 0 ? v : 0)).toBe(true);
      const r = v < 0 ? 0 : v;
      expect(Object.is(clip.data[i], r > 1.5 ? 1.5 : r)).toBe(true);
    });
    expect(() => run([['activation', 5]])).toThrow(/activation.*expected 0 \(none\)/);
    expect(() => run([['activation', 2], ['activation_min', 2], ['activation_max', 1]])).toThrow(/min <= max/);
  });
});

describe('lowbit.DynamicQConvQuantize reference kernel', () => {
  it('is DynamicQuantizeLinear of DynamicQConv (the TSDoc example, both forms); a non-finite result is a typed error', () => {
    const reg = createReferenceRegistry();
    const node: KernelNode = { name: 'c', opType: 'DynamicQConvQuantize', domain: 'lowbit', opset: 1, attrs: new Map(), inputTypes: ['float32', 'int8', 'float32', 'int8'], outputCount: 3 };
    const w = [new Tensor('int8', [1, -1], [1, 1, 1, 2]), new Tensor('float32', [1], []), new Tensor('int8', [0], [])];
    const [q, s, z] = reg.resolve('lowbit.DynamicQConvQuantize:f32').create(node).run([new Tensor('float32', [1, 2], [1, 1, 1, 2]), ...w], ctx);
    const y = Math.fround(-128 * Math.fround(2 / 255));
    expect(q!.dtype).toBe('uint8');
    expect(q!.dims).toEqual([1, 1, 1, 1]);
    expect([s!.dims, z!.dims]).toEqual([[], []]);
    expect(s!.data[0]).toBe(Math.fround((0 - y) / 255));
    expect([z!.data[0], q!.data[0]]).toEqual([255, 0]);
    // the quantized-input form on DynamicQuantizeLinear([1, 2])'s outputs: the same three outputs
    const u8 = reg.resolve('lowbit.DynamicQConvQuantize:u8').create({ ...node, inputTypes: ['uint8', 'int8', 'float32', 'int8', null, 'float32', 'uint8'] });
    const [q2, s2, z2] = u8.run([new Tensor('uint8', [127, 255], [1, 1, 1, 2]), ...w, null, new Tensor('float32', [Math.fround(2 / 255)], []), new Tensor('uint8', [0], [])], ctx);
    expect([q2!.data[0], s2!.data[0], z2!.data[0]]).toEqual([q!.data[0], s!.data[0], z!.data[0]]);
    // w = [127, -127], w_scale 3e38: the float result overflows to -inf, which DynamicQuantizeLinear rejects
    const big = [new Tensor('int8', [127, -127], [1, 1, 1, 2]), new Tensor('float32', [3e38], []), w[2]!];
    expect(() => reg.resolve('lowbit.DynamicQConvQuantize:f32').create(node).run([new Tensor('float32', [1, 2], [1, 1, 1, 2]), ...big], ctx)).toThrow(/DynamicQConvQuantize/);
  });
});
