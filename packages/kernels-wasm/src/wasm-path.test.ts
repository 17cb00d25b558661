/**
 * The variants really run on the wasm kernels for the shapes they cover (the equivalence tests would also pass if a
 * variant always fell back to the reference): every variant family is created on a runtime whose exports count calls.
 */
import { describe, expect, it } from 'vitest';
import { Tensor, freshRunContext, type KernelVariant } from '@lowbit/kernels';
import type { KernelExports } from './exports.js';
import type { WasmRuntime } from './runtime.js';
import { wasmVariants } from './backend.js';
import { mkNode, wasmRegistry } from './test-support/index.js';

const { backend } = await wasmRegistry();
const calls = new Map<string, number>();
const rt0 = backend.runtime!;
// The exports object is frozen: count through a plain copy whose functions forward to the real ones.
const ex = Object.fromEntries(
  Object.entries(rt0.ex).map(([name, v]) => [
    name,
    typeof v === 'function'
      ? (...args: unknown[]) => {
          calls.set(name, (calls.get(name) ?? 0) + 1);
          return (v as (...a: unknown[]) => unknown)(...args);
        }
      : v,
  ]),
) as unknown as KernelExports;
const rt: WasmRuntime = { ...rt0, ex, relaxed: rt0.relaxed ? (ex as never) : undefined };
const variants = wasmVariants(rt);
const pick = (key: string, name?: string): KernelVariant => variants.find((v) => v.key === key && (!name || v.name === name))!;

function expectCalls(fn: string, run: () => void): void {
  const before = calls.get(fn) ?? 0;
  run();
  expect(calls.get(fn) ?? 0, fn).toBeGreaterThan(before);
}

const u8 = (dims: number[]) => new Tensor('uint8', Uint8Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => (i * 37) & 255), dims);
const i8 = (dims: number[], seven = false) => new Tensor('int8', Int8Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => (((i * 53) & 255) - 128) >> (seven ? 1 : 0)), dims);
const f32 = (dims: number[]) => new Tensor('float32', Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i)), dims);
const s = (v: number) => new Tensor('float32', [v], []);

describe('variants take the wasm path', () => {
  it('integer GEMM (SIMD128 and relaxed), QLinearMatMul, ConvInteger, QLinearConv', () => {
    const b = i8([9, 10]);
    expectCalls('qgemm', () => pick('MatMulInteger:u8xi8->i32', 'wasm-simd128-4x8').create(mkNode('MatMulInteger', ['uint8', 'int8'], {}, 10, new Map([[1, b]]))).run([u8([5, 9]), b], freshRunContext));
    if (rt.relaxed) {
      const b7 = i8([9, 10], true);
      expectCalls('q7gemm', () => pick('MatMulInteger:u8xi8->i32', 'wasm-relaxed-4x8').create(mkNode('MatMulInteger', ['uint8', 'int8'], {}, 10, new Map([[1, b7]]))).run([u8([5, 9]), b7], freshRunContext));
    }
    expectCalls('requantize', () => pick('QLinearMatMul:u8xi8->u8').create(mkNode('QLinearMatMul', [], {}, 10)).run([u8([3, 9]), s(0.1), u8([]), b, s(0.2), i8([]), s(0.3), u8([])], freshRunContext));
    const w = i8([4, 2, 3, 3]);
    expectCalls('im2row8', () => pick('ConvInteger:u8xi8->i32').create(mkNode('ConvInteger', [], { pads: [1, 1, 1, 1] }, 10, new Map([[1, w]]))).run([u8([1, 2, 6, 6]), w], freshRunContext));
    expectCalls('requantize', () => pick('QLinearConv:u8xi8->u8').create(mkNode('QLinearConv', [], {}, 10)).run([u8([1, 2, 6, 6]), s(0.1), u8([]), w, s(0.2), i8([]), s(0.3), u8([])], freshRunContext));
  });

  it('float GEMM, Conv (im2col, 1x1, depthwise), element-wise, norm, quantization', () => {
    const b = f32([7, 9]);
    expectCalls('sgemm', () => pick('MatMul:f32').create(mkNode('MatMul', ['float32', 'float32'], {}, 13, new Map([[1, b]]))).run([f32([3, 7]), b], freshRunContext));
    expectCalls('sepilogue', () => pick('Gemm:f32').create(mkNode('Gemm', [], { alpha: 2, transA: 1 }, 13)).run([f32([7, 3]), b, f32([9])], freshRunContext));
    expectCalls('im2colPacked', () => pick('Conv:f32').create(mkNode('Conv', [], { pads: [1, 1, 1, 1] }, 13)).run([f32([1, 2, 5, 5]), f32([3, 2, 3, 3])], freshRunContext));
    expectCalls('spackB', () => pick('Conv:f32').create(mkNode('Conv', [], {}, 13)).run([f32([1, 2, 5, 5]), f32([3, 2, 1, 1])], freshRunContext));
    expectCalls('depthwisePlanes', () => pick('Conv:f32').create(mkNode('Conv', [], { group: 2 }, 13)).run([f32([1, 2, 5, 5]), f32([2, 1, 3, 3])], freshRunContext));
    expectCalls('relu', () => pick('Relu:f32').create(mkNode('Relu', [], {}, 13)).run([f32([10])], freshRunContext));
    expectCalls('clip', () => pick('Clip:f32').create(mkNode('Clip', [], {}, 13)).run([f32([10]), s(-0.5), s(0.5)], freshRunContext));
    expectCalls('binary', () => pick('Mul:f32').create(mkNode('Mul', [], {}, 14)).run([f32([1, 3, 4, 4]), f32([3, 1, 1])], freshRunContext));
    expectCalls('batchNorm', () => pick('BatchNormalization:f32').create(mkNode('BatchNormalization', [], {}, 15)).run([f32([1, 2, 3, 3]), f32([2]), f32([2]), f32([2]), new Tensor('float32', [1, 2], [2])], freshRunContext));
    expectCalls('globalAvgPool', () => pick('GlobalAveragePool:f32').create(mkNode('GlobalAveragePool', [], {}, 13)).run([f32([1, 2, 3, 3])], freshRunContext));
    expectCalls('quantize', () => pick('QuantizeLinear:f32->u8').create(mkNode('QuantizeLinear', [], {}, 13)).run([f32([10]), s(0.1), u8([])], freshRunContext));
    expectCalls('dequantize', () => pick('DequantizeLinear:i8->f32').create(mkNode('DequantizeLinear', [], {}, 13)).run([i8([10]), s(0.1), i8([])], freshRunContext));
    expectCalls('minMax', () => pick('DynamicQuantizeLinear:f32->u8').create(mkNode('DynamicQuantizeLinear', [], {}, 11)).run([f32([10])], freshRunContext));
  });
});
