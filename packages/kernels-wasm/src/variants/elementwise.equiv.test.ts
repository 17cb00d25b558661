/** Element-wise float32 wasm variants against the reference, bit-exact, with every covered broadcast pattern. */
import { describe, expect, it } from 'vitest';
import { Tensor, freshRunContext } from '@lowbit/kernels';
import { assertEquivalent } from '@lowbit/testing';
import { mkNode, wasmRegistry } from '../test-support/index.js';
import { SIGMOID_TOLERANCE } from './elementwise.js';

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

describe('Sigmoid on wasm (approximation)', () => {
  it('harness: within the declared ulps, edge values included', () => {
    assertEquivalent({ registry, key: 'Sigmoid:f32', build: (n, v) => ({ node: mkNode('Sigmoid', ['float32']), inputs: [v.tensor('float32', [n, 3])] }), numRuns: 100 });
  });

  it('dense sweep over [-110, 110] and random bit patterns: worst case within SIGMOID_TOLERANCE', () => {
    const n = 1 << 18;
    const x = new Float32Array(n);
    for (let i = 0; i < n / 2; i++) x[i] = -110 + (220 * i) / (n / 2);
    const bits = new Uint32Array(x.buffer, (n / 2) * 4);
    let s = 12345;
    for (let i = 0; i < bits.length; i++) bits[i] = s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const node = mkNode('Sigmoid', ['float32']);
    const input = new Tensor('float32', x, [n]);
    const ref = registry.variants('Sigmoid:f32').find((v) => v.name === 'scalar')!.create(node).run([input], freshRunContext)[0]!.data as Float32Array;
    const got = registry.variants('Sigmoid:f32').find((v) => v.name === 'wasm-simd128')!.create(node).run([input], freshRunContext)[0]!.data as Float32Array;
    const ord = (v: number) => {
      const b = new Int32Array(Float32Array.of(v).buffer)[0];
      return b < 0 ? -(b & 0x7fffffff) : b;
    };
    let worst = 0;
    for (let i = 0; i < n; i++) {
      if (Number.isNaN(ref[i])) {
        expect(Number.isNaN(got[i])).toBe(true);
        continue;
      }
      worst = Math.max(worst, Math.abs(ord(got[i]) - ord(ref[i])));
    }
    console.log(`Sigmoid worst error: ${worst} ulp`);
    expect(worst).toBeLessThanOrEqual(SIGMOID_TOLERANCE.ulp);
  });
});
