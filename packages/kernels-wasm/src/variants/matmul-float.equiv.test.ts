/**
 * MatMul:f32 and Gemm:f32 on wasm against the scalar reference, bit-exact (k-ascending float32 sums, product rounded
 * before the add, as the reference): sizes around the 4 x 8 tile, edge values (NaN, infinities, -0, subnormals), B
 * constant (packed at create) and per call, Gemm with transA/transB/alpha/beta and every covered C shape.
 */
import { describe, expect, it } from 'vitest';
import { assertEquivalent, type ValueSource } from '@lowbit/testing';
import { mkNode, wasmRegistry } from '../test-support/index.js';

const { registry } = await wasmRegistry({ relaxed: false });

describe('MatMul:f32 and Gemm:f32 on wasm', () => {
  it('MatMul: A [2, M, K] x constant B [K, N]', () => {
    const r = assertEquivalent({
      registry,
      key: 'MatMul:f32',
      build: (n: number, v: ValueSource) => {
        const K = (n * 7) % 11 + n;
        const b = v.tensor('float32', [K, n + 5]);
        return { node: mkNode('MatMul', ['float32', 'float32'], {}, 13, new Map([[1, b]])), inputs: [v.tensor('float32', [2, n, K]), b] };
      },
      numRuns: 40,
    });
    expect(r.variants).toEqual(['wasm-simd128-4x8']);
  });

  it('MatMul with few rows (the GEMV path, four panels at a time), N around multiples of 32: bit-exact', () => {
    for (const M of [1, 2, 3]) for (const N of [31, 32, 33, 70]) {
      assertEquivalent({
        registry,
        key: 'MatMul:f32',
        sizes: [1, 7, 40],
        build: (K: number, v: ValueSource) => {
          const b = v.tensor('float32', [K, N]);
          return { node: mkNode('MatMul', ['float32', 'float32'], {}, 13, new Map([[1, b]])), inputs: [v.tensor('float32', [M, K]), b] };
        },
        numRuns: 3,
      });
    }
  });

  it('MatMul: 1-D A and a batched B (reference fallback) stay exact', () => {
    assertEquivalent({
      registry,
      key: 'MatMul:f32',
      build: (n, v) => ({ node: mkNode('MatMul', ['float32', 'float32']), inputs: [v.tensor('float32', [n]), v.tensor('float32', [n, 9])] }),
      numRuns: 20,
    });
    assertEquivalent({
      registry,
      key: 'MatMul:f32',
      build: (n, v) => ({ node: mkNode('MatMul', ['float32', 'float32']), inputs: [v.tensor('float32', [2, 3, n]), v.tensor('float32', [2, n, 4])] }),
      numRuns: 10,
    });
  });

  const biasShapes = (M: number, N: number): number[][] => [[], [N], [1, N], [M, 1], [M, N]];
  for (const [transA, transB] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
    it(`Gemm transA=${transA} transB=${transB}, alpha 0.5, beta 2, each C shape`, () => {
      for (let s = 0; s < 5; s++) {
        assertEquivalent({
          registry,
          key: 'Gemm:f32',
          build: (n, v) => {
            const [M, K, N] = [n, n + 2, (n * 3) % 10 + 1];
            const b = v.tensor('float32', transB ? [N, K] : [K, N]);
            const node = mkNode('Gemm', ['float32', 'float32', 'float32'], { transA, transB, alpha: 0.5, beta: 2 }, 13, new Map([[1, b]]));
            return { node, inputs: [v.tensor('float32', transA ? [K, M] : [M, K]), b, v.tensor('float32', biasShapes(M, N)[s])] };
          },
          numRuns: 8,
        });
      }
    });
  }

  it('Gemm without C and alpha 1', () => {
    assertEquivalent({
      registry,
      key: 'Gemm:f32',
      build: (n, v) => ({ node: mkNode('Gemm', ['float32', 'float32'], { transB: 1 }, 13), inputs: [v.tensor('float32', [n, 6]), v.tensor('float32', [n + 1, 6])] }),
      numRuns: 20,
    });
  });
});
