/**
 * The equivalence harness over the scalar reference kernels themselves (the reference against itself): every key
 * below survives the size classes around the tile, offset views inside poisoned buffers, poisoned output buffers,
 * the input-immutability check and edge-biased values (NaN, +-Infinity, -0, .5 ties, saturation edges). When
 * optimized variants register under these keys, the same builders check them against the reference.
 */
import { describe, expect, it } from 'vitest';
import { Tensor, createReferenceRegistry, type AttrValue, type DType, type KernelNode } from '@lowbit/kernels';
import { assertEquivalent, type EquivalenceCase, type ValueSource } from './equivalence.js';

const registry = createReferenceRegistry();
const node = (opType: string, inputTypes: (DType | null)[], attrs: Record<string, AttrValue> = {}, opset = 21): KernelNode => ({
  name: `eq_${opType}`, opType, domain: '', opset, attrs: new Map(Object.entries(attrs)), inputTypes, outputCount: 1,
});
const scalar = (v: number) => new Tensor('float32', [v], []);

type Builder = (size: number, v: ValueSource) => EquivalenceCase;
const cases: [string, Builder][] = [];
for (const ta of ['uint8', 'int8'] as const) {
  for (const tb of ['uint8', 'int8'] as const) {
    const short = (d: string) => (d === 'uint8' ? 'u8' : 'i8');
    cases.push([`MatMulInteger:${short(ta)}x${short(tb)}->i32`, (n, v) => ({
      node: node('MatMulInteger', [ta, tb, ta, tb], {}, 10),
      inputs: [v.tensor(ta, [2, n]), v.tensor(tb, [n, 3]), v.tensor(ta, [2]), v.tensor(tb, [3])], constants: [1, 3],
    })]);
  }
}
cases.push(['ConvInteger:u8xi8->i32', (n, v) => ({
  node: node('ConvInteger', ['uint8', 'int8', 'uint8', 'int8'], { pads: [1, 1], strides: [2] }, 10),
  inputs: [v.tensor('uint8', [1, 2, n + 2]), v.tensor('int8', [3, 2, 3]), v.tensor('uint8', []), v.tensor('int8', [3])], constants: [1, 3],
})]);
cases.push(['QLinearMatMul:u8xi8->u8', (n, v) => ({
  node: node('QLinearMatMul', ['uint8', 'float32', 'uint8', 'int8', 'float32', 'int8', 'float32', 'uint8']),
  inputs: [v.tensor('uint8', [2, n]), scalar(0.5), v.tensor('uint8', []), v.tensor('int8', [n, 3]), scalar(0.25), v.tensor('int8', []), scalar(0.125), v.tensor('uint8', [])],
})]);
cases.push(['QLinearConv:u8xi8->i8', (n, v) => ({
  node: node('QLinearConv', ['uint8', 'float32', 'uint8', 'int8', 'float32', 'int8', 'float32', 'int8', 'int32'], {}, 10),
  inputs: [v.tensor('uint8', [1, 2, n + 2, 2]), scalar(0.5), v.tensor('uint8', []), v.tensor('int8', [2, 2, 2, 2]), new Tensor('float32', [0.25, 0.5], [2]), new Tensor('int8', [0, 0], [2]), scalar(0.75), v.tensor('int8', []), v.tensor('int32', [2])],
})]);
cases.push(['QuantizeLinear:f32->i8', (n, v) => ({
  node: node('QuantizeLinear', ['float32', 'float32', 'int8'], { axis: 0 }),
  inputs: [v.tensor('float32', [2, n]), new Tensor('float32', [0.5, 3], [2]), v.tensor('int8', [2])],
})]);
cases.push(['DequantizeLinear:u8->f32', (n, v) => ({
  node: node('DequantizeLinear', ['uint8', 'float32', 'uint8']),
  inputs: [v.tensor('uint8', [n]), scalar(0.1), v.tensor('uint8', [])],
})]);
cases.push(['Conv:f32', (n, v) => ({
  node: node('Conv', ['float32', 'float32', 'float32'], { pads: [1, 0, 1, 0], dilations: [1, 2] }),
  inputs: [v.tensor('float32', [1, 2, n + 1, 5]), v.tensor('float32', [3, 2, 2, 2]), v.tensor('float32', [3])], constants: [1, 2],
})]);
cases.push(['MatMul:f32', (n, v) => ({ node: node('MatMul', ['float32', 'float32']), inputs: [v.tensor('float32', [2, 3, n]), v.tensor('float32', [n, 2])], constants: [1] })]);
cases.push(['Gemm:f32', (n, v) => ({
  node: node('Gemm', ['float32', 'float32', 'float32'], { transB: 1, alpha: 0.5 }),
  inputs: [v.tensor('float32', [3, n]), v.tensor('float32', [2, n]), v.tensor('float32', [2])], constants: [1, 2],
})]);
cases.push(['MaxPool:f32', (n, v) => ({ node: node('MaxPool', ['float32'], { kernel_shape: [3], pads: [1, 1] }), inputs: [v.tensor('float32', [1, 2, n + 1])] })]);
cases.push(['AveragePool:f32', (n, v) => ({ node: node('AveragePool', ['float32'], { kernel_shape: [2], ceil_mode: 1, strides: [2] }), inputs: [v.tensor('float32', [1, 2, n + 2])] })]);

describe('equivalence harness on the scalar reference kernels', () => {
  for (const [key, build] of cases) {
    it(key, () => {
      const r = assertEquivalent({ registry, key, build, seed: 20261123, numRuns: 40 });
      expect(r.comparisons).toBeGreaterThan(40);
    });
  }
});
