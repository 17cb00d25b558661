/** Laws of the integer and quantization reference kernels (fast-check). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AttrValue, KernelNode } from '../contract.js';
import { keyFor } from '../keys.js';
import { createReferenceRegistry } from '../reference.js';
import { freshRunContext } from '../run-context.js';
import { Tensor, type DType } from '../tensor.js';
import { requantize } from './requantize.js';

const reg = createReferenceRegistry();
function run(opType: string, inputs: (Tensor | null)[], attrs: Record<string, AttrValue> = {}, opset = 21) {
  const node: KernelNode = { name: 'p', opType, domain: '', opset, attrs: new Map(Object.entries(attrs)), inputTypes: inputs.map((t) => t?.dtype ?? null), outputCount: 1 };
  return reg.resolve(keyFor(node)).create(node).run(inputs, freshRunContext)[0]!;
}
const q8 = fc.constantFrom<'uint8' | 'int8'>('uint8', 'int8');
const vals8 = (d: 'uint8' | 'int8', n: number) => fc.array(d === 'uint8' ? fc.integer({ min: 0, max: 255 }) : fc.integer({ min: -128, max: 127 }), { minLength: n, maxLength: n });
const T = (d: DType, xs: number[], dims: number[]) => new Tensor(d, xs, dims);
const arr = (t: Tensor) => Array.from(t.data as ArrayLike<number>);

describe('integer kernel laws', () => {
  it('a 1x1 ConvInteger is MatMulInteger of W [M, C] by X [C, W] (any 8-bit types, per-channel weight zero points)', () => {
    const arb = fc.record({ C: fc.integer({ min: 1, max: 5 }), M: fc.integer({ min: 1, max: 4 }), L: fc.integer({ min: 1, max: 6 }), tx: q8, tw: q8 })
      .chain((g) => fc.record({ g: fc.constant(g), x: vals8(g.tx, g.C * g.L), w: vals8(g.tw, g.M * g.C), zx: vals8(g.tx, 1), zw: vals8(g.tw, g.M) }));
    fc.assert(fc.property(arb, ({ g, x, w, zx, zw }) => {
      const conv = run('ConvInteger', [T(g.tx, x, [1, g.C, g.L]), T(g.tw, w, [g.M, g.C, 1]), T(g.tx, zx, []), T(g.tw, zw, [g.M])], {}, 10);
      // per-row zero point of the MatMulInteger's A (= W) is the per-channel weight zero point.
      const mm = run('MatMulInteger', [T(g.tw, w, [g.M, g.C]), T(g.tx, x, [g.C, g.L]), T(g.tw, zw, [g.M]), T(g.tx, zx, [])], {}, 10);
      expect(arr(conv)).toEqual(arr(mm));
    }));
  });

  it('QLinearMatMul is requantize applied to MatMulInteger', () => {
    const arb = fc.record({ M: fc.integer({ min: 1, max: 3 }), K: fc.integer({ min: 1, max: 8 }), N: fc.integer({ min: 1, max: 3 }), ta: q8, tb: q8, ty: q8 })
      .chain((g) => fc.record({
        g: fc.constant(g), a: vals8(g.ta, g.M * g.K), b: vals8(g.tb, g.K * g.N), za: vals8(g.ta, 1), zb: vals8(g.tb, 1), zy: vals8(g.ty, 1),
        sa: fc.float({ min: Math.fround(1e-3), max: 2, noNaN: true }), sb: fc.float({ min: Math.fround(1e-3), max: 2, noNaN: true }), sy: fc.float({ min: Math.fround(1e-2), max: 4, noNaN: true }),
      }));
    fc.assert(fc.property(arb, ({ g, a, b, za, zb, zy, sa, sb, sy }) => {
      const f = (v: number) => T('float32', [v], []);
      const q = run('QLinearMatMul', [T(g.ta, a, [g.M, g.K]), f(sa), T(g.ta, za, []), T(g.tb, b, [g.K, g.N]), f(sb), T(g.tb, zb, []), f(sy), T(g.ty, zy, [])]);
      const acc = run('MatMulInteger', [T(g.ta, a, [g.M, g.K]), T(g.tb, b, [g.K, g.N]), T(g.ta, za, []), T(g.tb, zb, [])], {}, 10);
      const mult = Math.fround(Math.fround(sa * sb) / sy);
      const [qmin, qmax] = g.ty === 'uint8' ? [0, 255] : [-128, 127];
      expect(arr(q)).toEqual(arr(acc).map((v) => requantize(v, mult, zy[0], qmin, qmax)));
    }));
  });

  it('requantize is monotone in acc for a positive multiplier and stays in range', () => {
    fc.assert(fc.property(fc.integer(), fc.integer(), fc.float({ min: Math.fround(1e-6), max: 10, noNaN: true }), fc.integer({ min: 0, max: 255 }), (a, b, m, z) => {
      const [lo, hi] = a <= b ? [a | 0, b | 0] : [b | 0, a | 0];
      const ql = requantize(Math.min(lo, hi), m, z, 0, 255);
      const qh = requantize(Math.max(lo, hi), m, z, 0, 255);
      expect(ql).toBeLessThanOrEqual(qh);
      expect(ql).toBeGreaterThanOrEqual(0);
      expect(qh).toBeLessThanOrEqual(255);
    }));
  });

  it('DequantizeLinear(QuantizeLinear(x)) is within scale/2 of x inside the representable range', () => {
    const arb = fc.record({ s: fc.float({ min: Math.fround(1e-3), max: 10, noNaN: true }), z: fc.integer({ min: 0, max: 255 }) })
      .chain((p) => fc.record({ p: fc.constant(p), x: fc.array(fc.double({ min: (0 - p.z) * p.s, max: (255 - p.z) * p.s, noNaN: true }).map(Math.fround), { minLength: 1, maxLength: 20 }) }));
    fc.assert(fc.property(arb, ({ p, x }) => {
      const q = run('QuantizeLinear', [T('float32', x, [x.length]), T('float32', [p.s], []), T('uint8', [p.z], [])]);
      const back = arr(run('DequantizeLinear', [q, T('float32', [p.s], []), T('uint8', [p.z], [])]));
      // Half a step, plus float32 rounding of the division and the product (a few ulps of the values involved).
      back.forEach((v, i) => expect(Math.abs(v - x[i])).toBeLessThanOrEqual(p.s / 2 + 1e-5 * (Math.abs(x[i]) + p.s * 256)));
    }));
  });
});
