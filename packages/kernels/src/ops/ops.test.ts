/**
 * Behaviour examples for ops whose edge cases the ONNX node tests leave open, each expected value worked out by
 * hand from the ONNX operator definition (the derivation is in the comment beside it), plus the errors bad input
 * gets: a KernelError that names the node, the op, the input and expected vs actual.
 */
import { describe, expect, it } from 'vitest';
import type { AttrValue, KernelNode } from '../contract.js';
import { KernelError } from '../errors.js';
import { KernelRegistry } from '../registry.js';
import { freshRunContext } from '../run-context.js';
import { Tensor } from '../tensor.js';
import { keyFor } from '../keys.js';
import { OPS_KERNELS } from './index.js';

const registry = new KernelRegistry().registerAll(OPS_KERNELS);

function run(opType: string, inputs: (Tensor | null)[], attrs: Record<string, AttrValue> = {}, opset = 21, outputCount = 1, name = 'n'): Tensor[] {
  const node: KernelNode = {
    name, opType, domain: '', opset, attrs: new Map(Object.entries(attrs)), inputTypes: inputs.map((t) => t?.dtype ?? null), outputCount,
  };
  return registry.resolve(`${opType}:*`).create(node).run(inputs, freshRunContext) as Tensor[];
}
const f32 = (xs: number[], dims?: number[]) => new Tensor('float32', xs, dims);
const i64 = (xs: number[], dims?: number[]) => new Tensor('int64', xs.map(BigInt), dims);
const vals = (t: Tensor) => Array.from(t.data as ArrayLike<number | bigint | string>, (v) => (typeof v === 'bigint' ? Number(v) : v));

describe('arithmetic edge cases', () => {
  it('integer Div truncates toward zero and Mod follows the divisor sign unless fmod=1', () => {
    const a = new Tensor('int32', [-7, 7, -4, 4, 5]);
    const b = new Tensor('int32', [2, -2, 3, -3, 0]);
    expect(vals(run('Div', [a, b])[0])).toEqual([-3, -3, -1, -1, 0]); // C division; /0 -> 0 by choice
    expect(vals(run('Mod', [a, b])[0])).toEqual([1, -1, 2, -2, 0]); // Python %: -7 % 2 = 1, 7 % -2 = -1, -4 % 3 = 2
    expect(vals(run('Mod', [f32([-4, 4]), f32([3, -3])], { fmod: 1 })[0])).toEqual([-1, 1]); // C fmod keeps the dividend sign
  });
  it('int64 arithmetic is exact beyond 2^53', () => {
    const big = 2n ** 60n + 1n;
    expect((run('Add', [new Tensor('int64', [big]), new Tensor('int64', [2n])])[0].data as BigInt64Array)[0]).toBe(big + 2n);
  });
  it('Round is half to even', () => {
    expect(vals(run('Round', [f32([0.5, 1.5, 2.5, -2.5, 2.6])])[0])).toEqual([0, 2, 2, -2, 3]);
  });
  it('Clip: attributes before opset 11, inputs after; min > max gives max', () => {
    expect(vals(run('Clip', [f32([-2, 0.5, 2])], { min: -1, max: 1 }, 6)[0])).toEqual([-1, 0.5, 1]);
    expect(vals(run('Clip', [f32([-2, 0.5, 2]), f32([1], []), f32([0], [])], {}, 13)[0])).toEqual([0, 0, 0]);
    expect(vals(run('Clip', [f32([-2, 0.5, 2]), null, f32([0], [])], {}, 13)[0])).toEqual([-2, 0, 0]);
  });
});

describe('indexing and layout', () => {
  it('TopK keeps equal values in index order', () => {
    // [1, 3, 3, 2]: largest two are the 3s at 1 and 2; smallest two are 1 (idx 0) and 2 (idx 3).
    const [v, i] = run('TopK', [f32([1, 3, 3, 2]), i64([2])], {}, 11, 2);
    expect(vals(v)).toEqual([3, 3]);
    expect(vals(i)).toEqual([1, 2]);
    const [v2, i2] = run('TopK', [f32([1, 3, 3, 2]), i64([2])], { largest: 0 }, 11, 2);
    expect(vals(v2)).toEqual([1, 2]);
    expect(vals(i2)).toEqual([0, 3]);
  });
  it('Pad modes on [1, 2, 3] with two on each side', () => {
    const x = f32([1, 2, 3]);
    const pads = i64([2, 2]);
    expect(vals(run('Pad', [x, pads], { mode: 'reflect' })[0])).toEqual([3, 2, 1, 2, 3, 2, 1]);
    expect(vals(run('Pad', [x, pads], { mode: 'edge' })[0])).toEqual([1, 1, 1, 2, 3, 3, 3]);
    expect(vals(run('Pad', [x, pads], { mode: 'wrap' })[0])).toEqual([2, 3, 1, 2, 3, 1, 2]);
    expect(vals(run('Pad', [x, pads, f32([9], [])], { mode: 'constant' })[0])).toEqual([9, 9, 1, 2, 3, 9, 9]);
    expect(vals(run('Pad', [x, i64([-1, 1])])[0])).toEqual([2, 3, 0]); // negative pads crop
  });
  it('ScatterElements add accumulates duplicate indices', () => {
    // out[0] = 1 + 5 + 6 = 12.
    expect(vals(run('ScatterElements', [f32([1, 2, 3]), i64([0, 0]), f32([5, 6])], { reduction: 'add' })[0])).toEqual([12, 2, 3]);
  });
  it('CumSum exclusive and reverse', () => {
    const x = f32([1, 2, 3]);
    const axis = i64([0], []);
    expect(vals(run('CumSum', [x, axis], { exclusive: 1 })[0])).toEqual([0, 1, 3]);
    expect(vals(run('CumSum', [x, axis], { reverse: 1 })[0])).toEqual([6, 5, 3]);
  });
  it('Shape start/end clamp like Python slices', () => {
    const x = f32(new Array<number>(24).fill(0), [2, 3, 4]);
    expect(vals(run('Shape', [x], { start: -2 })[0])).toEqual([3, 4]);
    expect(vals(run('Shape', [x], { start: 1, end: 100 })[0])).toEqual([3, 4]);
  });
  it('Einsum: trace and matrix product', () => {
    const m = f32([1, 2, 3, 4], [2, 2]);
    expect(vals(run('Einsum', [m], { equation: 'ii->' })[0])).toEqual([5]); // 1 + 4
    // [[1,2],[3,4]] @ [[5,6],[7,8]] = [[1*5+2*7, 1*6+2*8], [3*5+4*7, 3*6+4*8]].
    expect(vals(run('Einsum', [m, f32([5, 6, 7, 8], [2, 2])], { equation: 'ij,jk->ik' })[0])).toEqual([19, 22, 43, 50]);
  });
});

describe('Resize / Softmax', () => {
  it('linear half_pixel upsampling of [0, 10] to 4 samples', () => {
    // x' = (x + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25 -> clamped edge taps: 0, 2.5, 7.5, 10.
    const [y] = run('Resize', [f32([0, 10]), null, f32([2])], { mode: 'linear' });
    expect(vals(y)).toEqual([0, 2.5, 7.5, 10]);
    // nearest asymmetric floor: x' = x / 2 -> 0, 0, 1, 1.
    const [z] = run('Resize', [f32([0, 10]), null, f32([2])], { coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' });
    expect(vals(z)).toEqual([0, 0, 10, 10]);
  });
  it('opset < 13 Softmax normalizes the flattened tail, opset 13 one axis', () => {
    const x = f32([0, Math.log(3), 0, Math.log(3)], [2, 2]);
    // axis 0, opset 11: the whole tensor is one row: e^x = [1, 3, 1, 3] / 8.
    expect(vals(run('Softmax', [x], { axis: 0 }, 11)[0]).map((v) => +(v as number).toFixed(6))).toEqual([0.125, 0.375, 0.125, 0.375]);
    // axis 0, opset 13: each column [1, 1] normalizes to 0.5.
    expect(vals(run('Softmax', [x], { axis: 0 }, 13)[0])).toEqual([0.5, 0.5, 0.5, 0.5]);
  });
});

describe('Cast', () => {
  it('truncates floats into integers, maps NaN to true for bool, parses and prints strings', () => {
    expect(vals(run('Cast', [f32([-3.7, 3.7, 200])], { to: 3 })[0])).toEqual([-3, 3, -56]); // int8 wraps 200 -> -56
    expect(vals(run('Cast', [f32([0, NaN, -0.5])], { to: 9 })[0])).toEqual([0, 1, 1]);
    expect(vals(run('Cast', [new Tensor('string', ['1.5', '-INF', '7'])], { to: 1 })[0])).toEqual([1.5, -Infinity, 7]);
    expect(vals(run('Cast', [f32([0.1, 2, NaN])], { to: 8 })[0])).toEqual(['0.1', '2', 'NaN']);
  });
});

describe('errors say where', () => {
  const expectError = (fn: () => unknown, pattern: RegExp) => {
    let err: unknown;
    try {
      fn();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KernelError);
    expect((err as Error).message).toMatch(pattern);
  };
  it('Reshape to a shape with the wrong element count', () => {
    expectError(() => run('Reshape', [f32([1, 2, 3, 4, 5, 6], [2, 3]), i64([4, 2])], {}, 14, 1, 'rs'), /node "rs" \(Reshape\): input\[1\]: shape: expected a shape with 6 elements.*got \[4,2\]/);
  });
  it('Gather with an index out of range', () => {
    expectError(() => run('Gather', [f32([1, 2, 3]), i64([5])], {}, 13, 1, 'g'), /node "g" \(Gather\): input\[1\]: index out of range: expected in \[-3, 2\], got 5/);
  });
  it('Concat of mismatched dtypes and Squeeze of a non-1 axis', () => {
    expectError(() => run('Concat', [f32([1]), new Tensor('int32', [1])], { axis: 0 }), /input\[1\]: dtype: expected float32, got int32/);
    expectError(() => run('Squeeze', [f32([1, 2]), i64([0])], {}, 13), /dim 0: expected 1 \(squeezed axis\), got 2/);
  });
  it('unsupported input dtypes are refused when the kernel is created, before any run', () => {
    const create = (opType: string, inputTypes: KernelNode['inputTypes'], attrs: Record<string, AttrValue> = {}) => () =>
      registry.resolve(`${opType}:*`).create({ name: 'c', opType, domain: '', opset: 21, attrs: new Map(Object.entries(attrs)), inputTypes, outputCount: 1 });
    expectError(create('Add', ['string', 'string']), /node "c" \(Add\): input\[0\]: dtype: expected a numeric type, got string/);
    expectError(create('And', ['bool', 'float32']), /input\[1\]: dtype: expected bool, got float32/);
    expectError(create('Mod', ['float32', 'float32']), /input\[0\]: dtype: expected an integer type \(fmod=0\), got float32/);
    expectError(create('Elu', ['int32']), /expected a floating-point type, got int32/);
  });
  it('Cast to an unknown type is refused when the kernel is created', () => {
    expectError(() => run('Cast', [f32([1])], { to: 14 }), /attribute "to": expected a supported ONNX data type code, got 14/);
  });
});

describe('kernel keys', () => {
  it('Cast/CastLike are keyed by source->target, Where by the value dtype, and resolve to the wildcard reference', () => {
    const node = (opType: string, inputTypes: KernelNode['inputTypes'], attrs: Record<string, AttrValue> = {}) =>
      ({ opType, domain: '', inputTypes, attrs: new Map(Object.entries(attrs)) });
    expect(keyFor(node('Cast', ['float32'], { to: 10 }))).toBe('Cast:f32->f16');
    expect(keyFor(node('CastLike', ['float16', 'float8e4m3fn']))).toBe('CastLike:f16->f8e4m3fn');
    expect(keyFor(node('Where', ['bool', 'int64', 'int64']))).toBe('Where:i64');
    expect(registry.resolve('Cast:f32->f16').key).toBe('Cast:*');
  });
});

describe('README example', () => {
  it('resolves Softmax through keyFor and runs it', () => {
    const node = { name: 'sm', opType: 'Softmax', domain: '', opset: 13, attrs: new Map(), inputTypes: ['float32'] as const, outputCount: 1 };
    const [y] = registry.resolve(keyFor(node)).create(node).run([new Tensor('float32', [1, 2, 3])], freshRunContext);
    // e^k / (e + e^2 + e^3) for k = 1, 2, 3.
    const z = Math.E + Math.E ** 2 + Math.E ** 3;
    expect(Array.from(y!.data as Float32Array)).toEqual([Math.E / z, Math.E ** 2 / z, Math.E ** 3 / z].map(Math.fround));
  });
});
