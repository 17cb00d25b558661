/** MaxPool:f32 and AveragePool:f32 on wasm against the reference, bit-exact (NaN, signed zeros and infinities included). */
import { describe, expect, it } from 'vitest';
import { assertEquivalent } from '@lowbit/testing';
import { Tensor, freshRunContext, type AttrValue } from '@lowbit/kernels';
import { mkNode, wasmRegistry } from '../test-support/index.js';

const { registry } = await wasmRegistry({ relaxed: false });

const CASES: { name: string; attrs: Record<string, AttrValue>; rank?: 1 }[] = [
  { name: '2x2 stride 2', attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
  { name: '3x3 stride 1 pads 1', attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
  { name: '3x3 stride 2 asymmetric pads', attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 0, 2, 1] } },
  { name: '2x3 stride (1, 3) ceil_mode', attrs: { kernel_shape: [2, 3], strides: [1, 3], ceil_mode: 1 } },
  { name: '3x3 stride 2 ceil_mode pads', attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 } },
  { name: '2x2 dilation 2', attrs: { kernel_shape: [2, 2], dilations: [2, 2], pads: [1, 1, 1, 1] } },
  { name: 'SAME_UPPER stride 2', attrs: { kernel_shape: [3, 2], strides: [2, 2], auto_pad: 'SAME_UPPER' } },
  { name: 'SAME_LOWER', attrs: { kernel_shape: [2, 3], auto_pad: 'SAME_LOWER' } },
  { name: '1-D kernel 3 stride 2 pads', attrs: { kernel_shape: [3], strides: [2], pads: [1, 2] }, rank: 1 },
];

describe('pools on wasm (bit-exact)', () => {
  for (const op of ['MaxPool', 'AveragePool'] as const) {
    for (const c of CASES) {
      for (const includePad of op === 'AveragePool' ? [0, 1] : [0]) {
        it(`${op} ${c.name}${includePad ? ' count_include_pad' : ''}`, () => {
          const attrs = op === 'AveragePool' ? { ...c.attrs, count_include_pad: includePad } : c.attrs;
          const node = mkNode(op, ['float32'], attrs, 19);
          expect(registry.resolve(`${op}:f32`, { available: ['wasm-simd128'] }, node).name).toBe('wasm-simd128');
          assertEquivalent({
            registry,
            key: `${op}:f32`,
            build: (n, v) => ({ node, inputs: [v.tensor('float32', c.rank ? [2, 3, n + 4] : [1, 3, n + 3, n + 5])] }),
            numRuns: 30,
          });
        });
      }
    }
  }

  it('MaxPool: signed zeros and NaN keep the reference order; Indices output runs on the reference', () => {
    const x = new Tensor('float32', Float32Array.of(-0, 0, 0, -0, NaN, 1, 2, NaN, -Infinity, -Infinity, -Infinity, -Infinity), [1, 3, 2, 2]);
    const node = mkNode('MaxPool', ['float32'], { kernel_shape: [2, 2] }, 19);
    const wasm = registry.resolve('MaxPool:f32', { available: ['wasm-simd128'] }, node).create(node);
    const y = wasm.run([x], freshRunContext)[0]!.data as Float32Array;
    expect(Object.is(y[0], -0)).toBe(true);
    expect(Number.isNaN(y[1])).toBe(true);
    expect(y[2]).toBe(-Infinity);
    const two = { ...node, outputCount: 2 };
    const outs = registry.resolve('MaxPool:f32', { available: ['wasm-simd128'] }, two).create(two).run([x], freshRunContext);
    expect(Array.from(outs[1]!.data as BigInt64Array)).toEqual([0n, 4n, 8n]);
  });
});
