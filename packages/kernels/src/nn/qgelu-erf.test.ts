import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createReferenceRegistry } from '../reference.js';
import { allocData, sizeOf, Tensor } from '../tensor.js';
import type { KernelNode } from '../contract.js';
import type { DType } from '../tensor.js';

const ctx = { alloc: (d: never, dims: readonly number[]) => new Tensor(d, allocData(d, sizeOf(dims)) as never, dims) as never };
const attrs = new Map<string, number>([['c1', Math.SQRT1_2], ['c2', 1], ['c3', 0.5]]);
const kn = (opType: string, domain: string, types: DType[], a = attrs): KernelNode => ({ name: opType, opType, domain, opset: domain ? 1 : 19, attrs: a as never, inputTypes: types, outputCount: 1 });
const reg = createReferenceRegistry();

/** lowbit.GeluErf then QuantizeLinear, each by its reference kernel. */
function twoStep(x: Tensor, scale: Tensor, zp: Tensor, a = attrs): Tensor {
  const g = reg.resolve('lowbit.GeluErf:f32').create(kn('GeluErf', 'lowbit', ['float32'], a)).run([x], ctx)[0]!;
  return reg.resolve(`QuantizeLinear:f32->${zp.dtype === 'uint8' ? 'u8' : 'i8'}`).create(kn('QuantizeLinear', '', ['float32', 'float32', zp.dtype])).run([g, scale, zp], ctx)[0]!;
}
const fused = (x: Tensor, scale: Tensor, zp: Tensor, a = attrs) => reg.resolve('lowbit.QGeluErf:f32').create(kn('QGeluErf', 'lowbit', ['float32', 'float32', zp.dtype], a)).run([x, scale, zp], ctx)[0]!;

describe('lowbit.QGeluErf reference kernel', () => {
  it('is GeluErf then QuantizeLinear exactly: example, dims, dtype of the zero point, NaN -> qmin, infinities saturate', () => {
    const x = new Tensor('float32', [1, 0, -0.5, 3, NaN, Infinity, -Infinity, 400], [2, 4]);
    const scale = new Tensor('float32', [0.02], []);
    const y = fused(x, scale, new Tensor('uint8', [10], []));
    expect(y.dtype).toBe('uint8');
    expect(y.dims).toEqual([2, 4]);
    // gelu(1) = 0.8413447 / 0.02 = 42.07 -> 42 + 10; gelu(-0.5) = -0.154 -> -7.7 -> -8 + 10 = 2; 3 -> 2.996 / 0.02 = 149.8 -> 160
    expect(Array.from(y.data as Uint8Array)).toEqual([52, 10, 2, 160, 0, 255, 0, 255]);
    const yi = fused(x, scale, new Tensor('int8', [-3], []));
    expect(yi.dtype).toBe('int8');
    expect(Array.from(yi.data as Int8Array)).toEqual(Array.from(twoStep(x, scale, new Tensor('int8', [-3], [])).data as Int8Array));
  });

  it('property: equal to the two reference kernels for any inputs, constants, scale and zero point', () => {
    fc.assert(fc.property(
      fc.array(fc.float({ noNaN: false }), { minLength: 0, maxLength: 40 }), fc.float({ min: Math.fround(1e-4), max: 10, noNaN: true }),
      fc.integer({ min: 0, max: 255 }), fc.boolean(), fc.boolean(), fc.boolean(),
      (xs, s, z, signed, divide, scaleFirst) => {
        const a = new Map<string, number>([['c1', divide ? Math.SQRT2 : Math.SQRT1_2], ['divide', divide ? 1 : 0], ['c2', 1], ['c3', 0.5], ['scale_first', scaleFirst ? 1 : 0]]);
        const x = new Tensor('float32', xs, [xs.length]);
        const zp = signed ? new Tensor('int8', [z - 128], []) : new Tensor('uint8', [z], []);
        const scale = new Tensor('float32', [s], []);
        expect(Array.from(fused(x, scale, zp, a).data as ArrayLike<number>)).toEqual(Array.from(twoStep(x, scale, zp, a).data as ArrayLike<number>));
      }), { numRuns: 200 });
  });

  it('rejects a per-axis scale or zero point, saying which input', () => {
    const x = new Tensor('float32', [1, 2], [2]);
    expect(() => fused(x, new Tensor('float32', [1, 2], [2]), new Tensor('uint8', [0], []))).toThrow(/input 1|inputIndex|y_scale/);
    expect(() => fused(x, new Tensor('float32', [1], []), new Tensor('uint8', [0, 1], [2]))).toThrow(/input 2|inputIndex|y_zero_point/);
  });
});
