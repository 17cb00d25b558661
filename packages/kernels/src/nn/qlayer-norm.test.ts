import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createReferenceRegistry } from '../reference.js';
import { allocData, sizeOf, Tensor } from '../tensor.js';
import type { KernelNode } from '../contract.js';
import type { DType } from '../tensor.js';

const ctx = { alloc: (d: never, dims: readonly number[]) => new Tensor(d, allocData(d, sizeOf(dims)) as never, dims) as never };
const attrs = new Map<string, number>([['axis', -1], ['epsilon', 1e-5]]);
const kn = (opType: string, domain: string, types: (DType | null)[]): KernelNode => ({ name: opType, opType, domain, opset: domain ? 1 : 21, attrs: (domain || opType === 'LayerNormalization' ? attrs : new Map()) as never, inputTypes: types, outputCount: 1 });
const reg = createReferenceRegistry();

function twoStep(x: Tensor, g: Tensor, b: Tensor | null, ys: Tensor, zp: Tensor): Tensor {
  const n = reg.resolve('LayerNormalization:f32').create(kn('LayerNormalization', '', ['float32', 'float32', b ? 'float32' : null])).run([x, g, b], ctx)[0]!;
  return reg.resolve(`QuantizeLinear:f32->${zp.dtype === 'uint8' ? 'u8' : 'i8'}`).create(kn('QuantizeLinear', '', ['float32', 'float32', zp.dtype])).run([n, ys, zp], ctx)[0]!;
}
const fused = (x: Tensor, g: Tensor, b: Tensor | null, ys: Tensor, zp: Tensor) =>
  reg.resolve('lowbit.QLayerNorm:f32').create(kn('QLayerNorm', 'lowbit', ['float32', 'float32', b ? 'float32' : null, 'float32', zp.dtype])).run([x, g, b, ys, zp], ctx)[0]!;

describe('lowbit.QLayerNorm reference kernel', () => {
  it('property: LayerNormalization then QuantizeLinear exactly (dims, output dtype of the zero point, NaN, infinities, with and without B)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 9 }), fc.array(fc.float({ noNaN: false }), { minLength: 36, maxLength: 36 }),
      fc.float({ min: Math.fround(1e-3), max: 4, noNaN: true }), fc.integer({ min: 0, max: 255 }), fc.boolean(), fc.boolean(),
      (rows, w, xs, s, z, signed, withBias) => {
        const x = new Tensor('float32', xs.slice(0, rows * w), [rows, w]);
        const g = new Tensor('float32', Array.from({ length: w }, (_, k) => 0.5 + k / 7), [w]);
        const b = withBias ? new Tensor('float32', Array.from({ length: w }, (_, k) => Math.cos(k)), [w]) : null;
        const zp = signed ? new Tensor('int8', [z - 128], []) : new Tensor('uint8', [z], []);
        const ys = new Tensor('float32', [s], []);
        const y = fused(x, g, b, ys, zp);
        expect(y.dtype).toBe(zp.dtype);
        expect(y.dims).toEqual([rows, w]);
        expect(Array.from(y.data as ArrayLike<number>)).toEqual(Array.from(twoStep(x, g, b, ys, zp).data as ArrayLike<number>));
      }), { numRuns: 150 });
  });

  it('rejects a per-axis y_scale or y_zero_point, naming the input', () => {
    const x = new Tensor('float32', [1, 2], [1, 2]);
    const g = new Tensor('float32', [1, 1], [2]);
    expect(() => fused(x, g, null, new Tensor('float32', [1, 2], [2]), new Tensor('uint8', [0], []))).toThrow(/input 3|inputIndex|y_scale/);
    expect(() => fused(x, g, null, new Tensor('float32', [1], []), new Tensor('uint8', [0, 1], [2]))).toThrow(/input 4|inputIndex|y_zero_point/);
  });
});
