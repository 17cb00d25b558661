/**
 * Hand-worked examples and error behaviour of the nn reference kernels (the ONNX node tests in onnx-node.test.ts
 * cover the attribute space; these pin the documented examples, float16/float64 paths and the typed errors).
 */
import { describe, expect, it } from 'vitest';
import type { AttrValue, KernelNode } from '../contract.js';
import { KernelError } from '../errors.js';
import { keyFor } from '../keys.js';
import { createReferenceRegistry } from '../reference.js';
import { freshRunContext } from '../run-context.js';
import { Tensor } from '../tensor.js';

const reg = createReferenceRegistry();
function run(opType: string, inputs: (Tensor | null)[], attrs: Record<string, AttrValue> = {}, outputCount = 1) {
  const node: KernelNode = { name: `my_${opType}`, opType, domain: '', opset: 22, attrs: new Map(Object.entries(attrs)), inputTypes: inputs.map((t) => t?.dtype ?? null), outputCount };
  return reg.resolve(keyFor(node)).create(node).run(inputs, freshRunContext);
}
const f32 = (xs: number[], dims: number[]) => new Tensor('float32', xs, dims);
const vals = (t: Tensor | null) => [...(t!.data as Float32Array)];

describe('Conv', () => {
  it('computes the TSDoc example: 2x2 input, ones kernel, bias 0.5 -> 10.5', () => {
    const [y] = run('Conv', [f32([1, 2, 3, 4], [1, 1, 2, 2]), f32([1, 1, 1, 1], [1, 1, 2, 2]), f32([0.5], [1])]);
    expect(y!.dims).toEqual([1, 1, 1, 1]);
    expect(vals(y)).toEqual([10.5]);
  });

  it('groups: two channels, group 2, each output sees only its own channel', () => {
    // By hand: channel 0 = [1, 2, 3] * w 2 -> [2, 4, 6]; channel 1 = [4, 5, 6] * w -1 -> [-4, -5, -6].
    const [y] = run('Conv', [f32([1, 2, 3, 4, 5, 6], [1, 2, 3]), f32([2, -1], [2, 1, 1])], { group: 2 });
    expect(vals(y)).toEqual([2, 4, 6, -4, -5, -6]);
  });

  it('runs float64 in double precision and float16 through float32', () => {
    const [y64] = run('Conv', [new Tensor('float64', [0.1, 0.2], [1, 1, 2]), new Tensor('float64', [1, 1], [1, 1, 2])]);
    expect(y64!.dtype).toBe('float64');
    expect((y64!.data as Float64Array)[0]).toBe(0.1 + 0.2);
    // float16 bits: 1.0 = 0x3c00, 2.0 = 0x4000, 3.0 = 0x4200.
    const [y16] = run('Conv', [new Tensor('float16', [0x3c00, 0x4000], [1, 1, 2]), new Tensor('float16', [0x3c00, 0x3c00], [1, 1, 2])]);
    expect(y16!.dtype).toBe('float16');
    expect([...(y16!.data as Uint16Array)]).toEqual([0x4200]);
  });

  it('throws KernelError naming node, input and expected vs actual for mismatched channels', () => {
    const bad = () => run('Conv', [f32([1, 2], [1, 2, 1]), f32([1, 1, 1], [1, 3, 1])]);
    expect(bad).toThrow(KernelError);
    expect(bad).toThrow(/node "my_Conv" \(Conv\): input\[1\]: channels: expected W.dims\[1\] \* group = 2, got 3 \* 1/);
  });

  it('rejects a bad auto_pad at create time', () => {
    const node: KernelNode = { name: 'c', opType: 'Conv', domain: '', opset: 22, attrs: new Map([['auto_pad', 'SAME']]), inputTypes: ['float32', 'float32'], outputCount: 1 };
    expect(() => reg.resolve('Conv:f32').create(node)).toThrow(/auto_pad.*expected NOTSET\|SAME_UPPER\|SAME_LOWER\|VALID, got SAME/);
  });
});

describe('ConvTranspose', () => {
  it('computes the TSDoc example [1, 2] * [1, 1] -> [1, 3, 2]', () => {
    const [y] = run('ConvTranspose', [f32([1, 2], [1, 1, 2]), f32([1, 1], [1, 1, 2])]);
    expect(vals(y)).toEqual([1, 3, 2]);
  });
  it('stride 2 leaves the gaps at zero plus bias', () => {
    // By hand: x = [1, 2], w = [1], stride 2 -> positions 0 and 2 -> [1, 0, 2], + bias 1.
    const [y] = run('ConvTranspose', [f32([1, 2], [1, 1, 2]), f32([1], [1, 1, 1]), f32([1], [1])], { strides: [2] });
    expect(vals(y)).toEqual([2, 1, 3]);
  });
});

describe('Gemm and MatMul', () => {
  it('Gemm TSDoc example: alpha 0.5, beta 2 -> 7.5', () => {
    const [y] = run('Gemm', [f32([1, 2], [1, 2]), f32([3, 4], [2, 1]), f32([1], [1])], { alpha: 0.5, beta: 2 });
    expect(vals(y)).toEqual([7.5]);
  });
  it('Gemm rejects a C that does not broadcast to [M, N]', () => {
    expect(() => run('Gemm', [f32([1, 2], [1, 2]), f32([3, 4], [2, 1]), f32([1, 2, 3], [3])])).toThrow(/input\[2\]: shape: expected broadcastable to \[1, 1\], got \[3\]/);
  });
  it('MatMul 1-D x 1-D is a dot product with a scalar result', () => {
    const [y] = run('MatMul', [f32([1, 2, 3], [3]), f32([4, 5, 6], [3])]);
    expect(y!.dims).toEqual([]);
    expect(vals(y)).toEqual([32]);
  });
  it('MatMul accumulates in float32: 1 + 2^-24 + 2^-24 stays 1 (double would give 1 + 2^-23)', () => {
    const e = 2 ** -24;
    const [y] = run('MatMul', [f32([1, 1, 1], [1, 3]), f32([1, e, e], [3, 1])]);
    expect(vals(y)).toEqual([1]);
  });
  it('MatMul reports the inner-dimension mismatch', () => {
    expect(() => run('MatMul', [f32([1, 2], [1, 2]), f32([1, 2, 3], [3, 1])])).toThrow(/inner dimension: expected B.dims\[-2\] = 2/);
  });
});

describe('pools', () => {
  it('AveragePool TSDoc example with and without count_include_pad', () => {
    const x = f32([1, 2, 3], [1, 1, 3]);
    expect(vals(run('AveragePool', [x], { kernel_shape: [2] })[0])).toEqual([1.5, 2.5]);
    expect(vals(run('AveragePool', [x], { kernel_shape: [2], pads: [1, 0] })[0])).toEqual([1, 1.5, 2.5]);
    expect(vals(run('AveragePool', [x], { kernel_shape: [2], pads: [1, 0], count_include_pad: 1 })[0])).toEqual([0.5, 1.5, 2.5]);
  });
  it('MaxPool propagates NaN and returns int64 Indices', () => {
    const [y, idx] = run('MaxPool', [f32([1, NaN, 3, 2], [1, 1, 4])], { kernel_shape: [2], strides: [2] }, 2);
    expect(vals(y)).toEqual([NaN, 3]);
    expect([...(idx!.data as BigInt64Array)]).toEqual([1n, 2n]);
  });
  it('MaxPool requires kernel_shape', () => {
    const node: KernelNode = { name: 'p', opType: 'MaxPool', domain: '', opset: 22, attrs: new Map(), inputTypes: ['float32'], outputCount: 1 };
    expect(() => reg.resolve('MaxPool:f32').create(node)).toThrow(/kernel_shape.*missing/);
  });
  it('GlobalAveragePool and GlobalMaxPool examples', () => {
    const x = f32([1, 2, 3, 4], [1, 1, 2, 2]);
    expect(vals(run('GlobalAveragePool', [x])[0])).toEqual([2.5]);
    expect(vals(run('GlobalMaxPool', [x])[0])).toEqual([4]);
  });
});

describe('normalizations', () => {
  it('BatchNormalization TSDoc example -> 3', () => {
    const one = (v: number) => f32([v], [1]);
    expect(vals(run('BatchNormalization', [f32([3], [1, 1]), one(2), one(1), one(1), one(4)], { epsilon: 0 })[0])).toEqual([3]);
  });
  it('InstanceNormalization example [1, 3] -> [-1, 1]', () => {
    expect(vals(run('InstanceNormalization', [f32([1, 3], [1, 1, 2]), f32([1], [1]), f32([0], [1])], { epsilon: 0 })[0])).toEqual([-1, 1]);
  });
  it('LayerNormalization example with Mean and InvStdDev outputs', () => {
    const [y, mean, inv] = run('LayerNormalization', [f32([1, 3], [1, 2]), f32([1, 1], [2])], { epsilon: 0 }, 3);
    expect(vals(y)).toEqual([-1, 1]);
    expect(mean!.dims).toEqual([1, 1]);
    expect(vals(mean)).toEqual([2]);
    expect(vals(inv)).toEqual([1]);
  });
  it('LRN example: 2 / (1 + 4) = 0.4', () => {
    expect(vals(run('LRN', [f32([2], [1, 1])], { size: 1, alpha: 1, beta: 1, bias: 1 })[0])).toEqual([Math.fround(0.4)]);
  });
});
