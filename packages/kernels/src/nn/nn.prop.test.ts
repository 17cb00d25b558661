/**
 * Laws between the nn reference kernels (fast-check). Values are small integers in float64 so every sum is exact
 * and the laws can demand equality.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AttrValue, KernelNode } from '../contract.js';
import { keyFor } from '../keys.js';
import { createReferenceRegistry } from '../reference.js';
import { freshRunContext } from '../run-context.js';
import { Tensor } from '../tensor.js';

const reg = createReferenceRegistry();
function run(opType: string, inputs: (Tensor | null)[], attrs: Record<string, AttrValue> = {}) {
  const node: KernelNode = { name: 'p', opType, domain: '', opset: 22, attrs: new Map(Object.entries(attrs)), inputTypes: inputs.map((t) => t?.dtype ?? null), outputCount: 1 };
  return reg.resolve(keyFor(node)).create(node).run(inputs, freshRunContext)[0]!;
}
const f64 = (xs: number[], dims: number[]) => new Tensor('float64', xs, dims);
const ints = (n: number) => fc.array(fc.integer({ min: -9, max: 9 }), { minLength: n, maxLength: n });
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, i) => s + v * b[i], 0);

describe('nn laws', () => {
  it('ConvTranspose is the adjoint of Conv: <Conv(x, w), y> = <x, ConvTranspose(y, w)>', () => {
    const arb = fc.record({ n: fc.integer({ min: 1, max: 9 }), k: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 3 }), d: fc.integer({ min: 1, max: 2 }), p: fc.integer({ min: 0, max: 2 }), C: fc.integer({ min: 1, max: 2 }), M: fc.integer({ min: 1, max: 2 }) })
      .filter(({ n, k, d, p }) => n + 2 * p >= (k - 1) * d + 1)
      .chain((g) => {
        const o = Math.floor((g.n + 2 * g.p - ((g.k - 1) * g.d + 1)) / g.s) + 1;
        return fc.record({ g: fc.constant({ ...g, o }), x: ints(g.C * g.n), w: ints(g.M * g.C * g.k), y: ints(g.M * o) });
      });
    fc.assert(fc.property(arb, ({ g, x, w, y }) => {
      const W = f64(w, [g.M, g.C, g.k]);
      const conv = run('Conv', [f64(x, [1, g.C, g.n]), W], { strides: [g.s], dilations: [g.d], pads: [g.p, g.p] });
      // ConvTranspose takes W as [C_in = M, C_out = C, k]: the same array read as the transposed operator.
      const op = (g.n + 2 * g.p - ((g.k - 1) * g.d + 1)) % g.s;
      const back = run('ConvTranspose', [f64(y, [1, g.M, g.o]), W], { strides: [g.s], dilations: [g.d], pads: [g.p, g.p], output_padding: [op] });
      expect(back.dims).toEqual([1, g.C, g.n]);
      expect(dot(conv.data as Float64Array, y)).toBe(dot(x, back.data as Float64Array));
    }), { numRuns: 200 });
  });

  it('a 1x1 Conv is a MatMul of W [M, C] by X [C, H*W]', () => {
    const arb = fc.record({ C: fc.integer({ min: 1, max: 4 }), M: fc.integer({ min: 1, max: 4 }), H: fc.integer({ min: 1, max: 4 }), W: fc.integer({ min: 1, max: 4 }) })
      .chain((g) => fc.record({ g: fc.constant(g), x: ints(g.C * g.H * g.W), w: ints(g.M * g.C) }));
    fc.assert(fc.property(arb, ({ g, x, w }) => {
      const conv = run('Conv', [f64(x, [1, g.C, g.H, g.W]), f64(w, [g.M, g.C, 1, 1])]);
      const mm = run('MatMul', [f64(w, [g.M, g.C]), f64(x, [g.C, g.H * g.W])]);
      expect(Array.from(conv.data as Float64Array)).toEqual(Array.from(mm.data as Float64Array));
    }));
  });

  it('Gemm with transA/transB on transposed operands equals Gemm without', () => {
    const arb = fc.record({ M: fc.integer({ min: 1, max: 4 }), K: fc.integer({ min: 0, max: 4 }), N: fc.integer({ min: 1, max: 4 }) })
      .chain((g) => fc.record({ g: fc.constant(g), a: ints(g.M * g.K), b: ints(g.K * g.N), c: ints(g.N) }));
    const tr = (v: number[], r: number, c: number) => Array.from({ length: r * c }, (_, i) => v[(i % r) * c + Math.floor(i / r)]);
    fc.assert(fc.property(arb, ({ g, a, b, c }) => {
      const plain = run('Gemm', [f64(a, [g.M, g.K]), f64(b, [g.K, g.N]), f64(c, [g.N])], { alpha: 2, beta: 3 });
      const trans = run('Gemm', [f64(tr(a, g.M, g.K), [g.K, g.M]), f64(tr(b, g.K, g.N), [g.N, g.K]), f64(c, [g.N])], { alpha: 2, beta: 3, transA: 1, transB: 1 });
      expect(Array.from(trans.data as Float64Array)).toEqual(Array.from(plain.data as Float64Array));
    }));
  });

  it('AveragePool over the whole plane equals GlobalAveragePool; MaxPool with a 1x1 window is the identity', () => {
    const arb = fc.record({ H: fc.integer({ min: 1, max: 5 }), W: fc.integer({ min: 1, max: 5 }) }).chain((g) => fc.record({ g: fc.constant(g), x: ints(2 * g.H * g.W) }));
    fc.assert(fc.property(arb, ({ g, x }) => {
      const X = f64(x, [1, 2, g.H, g.W]);
      expect(Array.from(run('AveragePool', [X], { kernel_shape: [g.H, g.W] }).data as Float64Array)).toEqual(Array.from(run('GlobalAveragePool', [X]).data as Float64Array));
      expect(Array.from(run('MaxPool', [X], { kernel_shape: [1, 1] }).data as Float64Array)).toEqual(x);
    }));
  });
});
