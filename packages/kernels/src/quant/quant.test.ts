/** Hand-worked examples and typed errors of the integer and quantization reference kernels. */
import { describe, expect, it } from 'vitest';
import type { AttrValue, KernelNode } from '../contract.js';
import { KernelError } from '../errors.js';
import { keyFor } from '../keys.js';
import { createReferenceRegistry } from '../reference.js';
import { freshRunContext } from '../run-context.js';
import { Tensor } from '../tensor.js';
import { requantize } from './requantize.js';

const reg = createReferenceRegistry();
function run(opType: string, inputs: (Tensor | null)[], attrs: Record<string, AttrValue> = {}, outputCount = 1, opset = 21) {
  const node: KernelNode = { name: `my_${opType}`, opType, domain: '', opset, attrs: new Map(Object.entries(attrs)), inputTypes: inputs.map((t) => t?.dtype ?? null), outputCount };
  return reg.resolve(keyFor(node)).create(node).run(inputs, freshRunContext);
}
const u8 = (xs: number[], dims: number[]) => new Tensor('uint8', xs, dims);
const i8 = (xs: number[], dims: number[]) => new Tensor('int8', xs, dims);
const f32 = (xs: number[], dims: number[] = []) => new Tensor('float32', xs, dims);
const vals = (t: Tensor | null) => Array.from(t!.data as ArrayLike<number>);

describe('requantize', () => {
  it('matches the TSDoc examples', () => {
    expect(requantize(300, 0.0125, 10, 0, 255)).toBe(14);
    expect(requantize(100, 0.025, 10, 0, 255)).toBe(12);
  });
  it('rounds exact ties to even, then adds the zero point, then saturates', () => {
    expect(requantize(1, 0.5, 0, 0, 255)).toBe(0);
    expect(requantize(3, 0.5, 0, 0, 255)).toBe(2);
    expect(requantize(-3, 0.5, 0, -128, 127)).toBe(-2);
    expect(requantize(-1000, 1, 0, -128, 127)).toBe(-128);
    expect(requantize(5, Infinity, 0, 0, 255)).toBe(255);
    expect(requantize(5, NaN, 7, 0, 255)).toBe(7);
  });
  it('converts acc to float32 before the product: 2^24 + 1 is 2^24', () => {
    expect(requantize(2 ** 24 + 1, 2 ** -24, 0, -(2 ** 31), 2 ** 31)).toBe(1);
  });
});

describe('MatMulInteger', () => {
  it('per-row a_zero_point and per-column b_zero_point', () => {
    // By hand: A = [[3, 4], [5, 6]] with row zps [1, 2]; B = [[1, 2], [3, 4]] with column zps [1, 0].
    // A - za = [[2, 3], [3, 4]]; B - zb = [[0, 2], [2, 4]] -> [[6, 16], [8, 22]].
    const [y] = run('MatMulInteger', [u8([3, 4, 5, 6], [2, 2]), u8([1, 2, 3, 4], [2, 2]), u8([1, 2], [2]), u8([1, 0], [2])]);
    expect(vals(y)).toEqual([6, 16, 8, 22]);
  });
  it('broadcasts batch dims: A [2, 1, 2] x B [2, 1]', () => {
    const [y] = run('MatMulInteger', [i8([1, 2, -1, -2], [2, 1, 2]), i8([3, 4], [2, 1])]);
    expect(y!.dims).toEqual([2, 1, 1]);
    expect(vals(y)).toEqual([11, -11]);
  });
  it('rejects a zero point of the wrong dtype or length', () => {
    expect(() => run('MatMulInteger', [u8([1], [1, 1]), u8([1], [1, 1]), i8([0], [])])).toThrow(/input\[2\]: dtype: expected uint8/);
    expect(() => run('MatMulInteger', [u8([1, 2], [2, 1]), u8([1], [1, 1]), u8([0, 0, 0], [3])])).toThrow(KernelError);
  });
});

describe('ConvInteger and QLinearConv', () => {
  it('ConvInteger TSDoc example: zero point 1 -> 6', () => {
    const [y] = run('ConvInteger', [u8([1, 2, 3, 4], [1, 1, 2, 2]), u8([1, 1, 1, 1], [1, 1, 2, 2]), u8([1], [])], {}, 1, 10);
    expect(vals(y)).toEqual([6]);
  });
  it('ConvInteger padding holds the zero point (padded taps add 0)', () => {
    // x = [5, 7] (zp 5) -> centered [0, 2]; w = [1, 1], pads [1, 1] -> outputs [0+0, 0+2, 2+0] = [0, 2, 2].
    const [y] = run('ConvInteger', [u8([5, 7], [1, 1, 2]), i8([1, 1], [1, 1, 2]), u8([5], [])], { pads: [1, 1] }, 1, 10);
    expect(vals(y)).toEqual([0, 2, 2]);
  });
  it('QLinearConv TSDoc example with bias, and per-channel weight scales', () => {
    const [y] = run('QLinearConv', [u8([1, 2, 3, 4], [1, 1, 2, 2]), f32([0.5]), u8([0], []), i8([1, 1, 1, 1], [1, 1, 2, 2]), f32([0.5]), i8([0], []), f32([1]), u8([0], []), new Tensor('int32', [3], [1])], {}, 1, 10);
    expect(vals(y)).toEqual([3]);
    // Two output channels with w scales [0.5, 2]: acc 10 each -> 10 * 0.25 = 2.5 -> 2 (tie to even); 10 * 1 = 10.
    const [y2] = run('QLinearConv', [u8([1, 2, 3, 4], [1, 1, 2, 2]), f32([0.5]), u8([0], []), i8([1, 1, 1, 1, 1, 1, 1, 1], [2, 1, 2, 2]), f32([0.5, 2], [2]), i8([0, 0], [2]), f32([1]), i8([0], [])], {}, 1, 10);
    expect(y2!.dtype).toBe('int8');
    expect(vals(y2)).toEqual([2, 10]);
  });
  it('QLinearMatMul TSDoc example -> 6', () => {
    const [y] = run('QLinearMatMul', [u8([2, 3], [1, 2]), f32([0.5]), u8([0], []), u8([4, 5], [2, 1]), f32([0.5]), u8([0], []), f32([1]), u8([0], [])]);
    expect(vals(y)).toEqual([6]);
  });
});

describe('QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear', () => {
  it('QuantizeLinear TSDoc example (ties to even, saturation)', () => {
    const [y] = run('QuantizeLinear', [f32([0, 1, 2.5, 300], [4]), f32([2]), u8([128], [])]);
    expect(y!.dtype).toBe('uint8');
    expect(vals(y)).toEqual([128, 128, 129, 255]);
  });
  it('QuantizeLinear output_dtype int4 without a zero point', () => {
    const [y] = run('QuantizeLinear', [f32([-100, 3, 100], [3]), f32([1])], { output_dtype: 22 });
    expect(y!.dtype).toBe('int4');
    expect(vals(y)).toEqual([-8, 3, 7]);
  });
  it('DequantizeLinear TSDoc example and per-axis scales', () => {
    expect(vals(run('DequantizeLinear', [u8([130, 0], [2]), f32([0.5]), u8([128], [])])[0])).toEqual([1, -64]);
    // axis 0: rows scaled by [1, 10].
    expect(vals(run('DequantizeLinear', [i8([1, 2, 3, 4], [2, 2]), f32([1, 10], [2])], { axis: 0 })[0])).toEqual([1, 2, 30, 40]);
  });
  it('DynamicQuantizeLinear TSDoc example', () => {
    const [y, s, z] = run('DynamicQuantizeLinear', [f32([0, 2, -3, -2.5, 1.34, 0.5], [6])], {}, 3, 11);
    expect(vals(y)).toEqual([153, 255, 0, 26, 221, 179]);
    expect(vals(s)).toEqual([Math.fround(Math.fround(5) / 255)]);
    expect(vals(z)).toEqual([153]);
  });
  it('a bad scale becomes a KernelError naming the node, with the QParamsError as cause', () => {
    let err: unknown;
    try {
      run('QuantizeLinear', [f32([1], [1]), f32([0]), u8([0], [])]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KernelError);
    expect((err as Error).message).toMatch(/node "my_QuantizeLinear" \(QuantizeLinear\)/);
    expect((err as { cause?: unknown }).cause).toBeInstanceOf(Error);
  });
});
