/** Element-wise float32 wasm variants against the reference, bit-exact, with every covered broadcast pattern. */
import { describe, it } from 'vitest';
import { Tensor } from '@lowbit/kernels';
import { assertEquivalent } from '@lowbit/testing';
import { mkNode, wasmRegistry } from '../test-support/index.js';

const { registry } = await wasmRegistry({ relaxed: false });

describe('element-wise float32 on wasm', () => {
  it('Relu (NaN kept, -0 -> +0)', () => {
    assertEquivalent({ registry, key: 'Relu:f32', build: (n, v) => ({ node: mkNode('Relu', ['float32']), inputs: [v.tensor('float32', [3, n])] }), numRuns: 50 });
  });

  it('Clip with input bounds (opset 13), attribute bounds (opset 6) and no bounds', () => {
    assertEquivalent({
      registry,
      key: 'Clip:f32',
      build: (n, v) => ({ node: mkNode('Clip', ['float32', 'float32', 'float32'], {}, 13), inputs: [v.tensor('float32', [n, 3]), new Tensor('float32', [-0], []), new Tensor('float32', [6], [])] }),
      numRuns: 50,
    });
    assertEquivalent({ registry, key: 'Clip:f32', build: (n, v) => ({ node: mkNode('Clip', ['float32'], { min: -1.5, max: 2.5 }, 6), inputs: [v.tensor('float32', [n])] }), numRuns: 20 });
    // min > max: opset 11+ gives max everywhere (min(max(x, lo), hi)); opset 6 keeps its own order (reference fallback).
    assertEquivalent({ registry, key: 'Clip:f32', build: (n, v) => ({ node: mkNode('Clip', ['float32', 'float32', 'float32'], {}, 13), inputs: [v.tensor('float32', [n, 3]), new Tensor('float32', [2], []), new Tensor('float32', [1], [])] }), numRuns: 20 });
    assertEquivalent({ registry, key: 'Clip:f32', build: (n, v) => ({ node: mkNode('Clip', ['float32'], { min: 2, max: 1 }, 6), inputs: [v.tensor('float32', [n])] }), numRuns: 20 });
    assertEquivalent({ registry, key: 'Clip:f32', build: (n, v) => ({ node: mkNode('Clip', ['float32', null, 'float32'], {}, 13), inputs: [v.tensor('float32', [n]), null, v.tensor('float32', [])] }), numRuns: 20 });
  });

  const shapes = (n: number): [number[], number[]][] => [
    [[2, n, 3], [2, n, 3]],
    [[2, n, 3], []],
    [[1], [n, 5]],
    [[1, 4, n, 3], [4, 1, 1]],
    [[4, 1, 1], [1, 4, n, 2]],
    [[n, 6], [6]],
    [[6], [n, 6]],
    [[n, 1], [1, 5]],
  ];
  for (const op of ['Add', 'Sub', 'Mul', 'Div']) {
    it(`${op}: same shape, scalar, per-channel, trailing and (reference) outer-product broadcasts`, () => {
      for (let s = 0; s < 8; s++) {
        assertEquivalent({
          registry,
          key: `${op}:f32`,
          build: (n, v) => {
            const [a, b] = shapes(n)[s];
            return { node: mkNode(op, ['float32', 'float32'], {}, 14), inputs: [v.tensor('float32', a), v.tensor('float32', b)] };
          },
          numRuns: 10,
        });
      }
    });
  }
});
