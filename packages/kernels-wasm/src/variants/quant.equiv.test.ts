/**
 * Quantization ops on wasm against the reference, bit-exact: QuantizeLinear (NaN, infinities, .5 ties, saturation from
 * the harness's edge values), DequantizeLinear, DynamicQuantizeLinear, QLinearMatMul (all 8 type combinations,
 * per-column b scale and zero point, B constant and per call).
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '@lowbit/kernels';
import { assertEquivalent } from '@lowbit/testing';
import { mkNode, wasmRegistry } from '../test-support/index.js';

const { registry } = await wasmRegistry({ relaxed: false });
const SHORT = { uint8: 'u8', int8: 'i8' } as const;
const Q8 = ['uint8', 'int8'] as const;
const scalar = (v: number) => new Tensor('float32', [v], []);

describe('quantization ops on wasm', () => {
  for (const t of Q8) {
    it(`QuantizeLinear f32 -> ${t} (scale 0.37 and 2, zero point given and omitted)`, () => {
      assertEquivalent({ registry, key: `QuantizeLinear:f32->${SHORT[t]}`, build: (n, v) => ({ node: mkNode('QuantizeLinear', ['float32', 'float32', t], {}, 13), inputs: [v.tensor('float32', [n, 3]), scalar(0.37), v.tensor(t, [])] }), numRuns: 50 });
      assertEquivalent({ registry, key: `QuantizeLinear:f32->${SHORT[t]}`, build: (n, v) => ({ node: mkNode('QuantizeLinear', ['float32', 'float32', t], {}, 13), inputs: [v.tensor('float32', [n]), scalar(2), new Tensor(t, [t === 'int8' ? -3 : 3], [])] }), numRuns: 20 });
    });
    it(`DequantizeLinear ${t} -> f32`, () => {
      assertEquivalent({ registry, key: `DequantizeLinear:${SHORT[t]}->f32`, build: (n, v) => ({ node: mkNode('DequantizeLinear', [t, 'float32', t], {}, 13), inputs: [v.tensor(t, [n, 5]), scalar(0.0123), v.tensor(t, [])] }), numRuns: 50 });
      assertEquivalent({ registry, key: `DequantizeLinear:${SHORT[t]}->f32`, build: (n, v) => ({ node: mkNode('DequantizeLinear', [t, 'float32'], {}, 13), inputs: [v.tensor(t, [n]), scalar(3)] }), numRuns: 20 });
    });
  }

  it('QuantizeLinear without a zero point gives uint8', () => {
    assertEquivalent({ registry, key: 'QuantizeLinear:f32->u8', build: (n, v) => ({ node: mkNode('QuantizeLinear', ['float32', 'float32'], {}, 13), inputs: [v.tensor('float32', [n]), scalar(0.5)] }), numRuns: 20 });
  });

  it('DynamicQuantizeLinear (finite inputs; non-finite ones get the reference error)', () => {
    const r = assertEquivalent({ registry, key: 'DynamicQuantizeLinear:f32->u8', build: (n, v) => ({ node: mkNode('DynamicQuantizeLinear', ['float32'], {}, 11), inputs: [v.tensor('float32', [n + 1, 3], { finite: true })] }), numRuns: 50 });
    expect(r.variants).toEqual(['wasm-simd128']);
    const inst = registry.resolve('DynamicQuantizeLinear:f32->u8', { available: ['wasm-simd128'] }).create(mkNode('DynamicQuantizeLinear', ['float32'], {}, 11));
    expect(() => inst.run([new Tensor('float32', [1, NaN], [2])], { alloc: (d, dims) => new Tensor(d, new (d === 'float32' ? Float32Array : Uint8Array)(dims.reduce((a, b) => a * b, 1)) as never, dims) })).toThrow(/finite/);
  });

  for (const ta of Q8) for (const tb of Q8) for (const ty of Q8) {
    const key = `QLinearMatMul:${SHORT[ta]}x${SHORT[tb]}->${SHORT[ty]}`;
    it(`${key}: per-column b scale and zero point, constant B`, () => {
      assertEquivalent({
        registry,
        key,
        build: (n, v) => {
          const K = n + 3;
          const N = (n * 3) % 11 + 1;
          const b = v.tensor(tb, [K, N]);
          const bs = new Tensor('float32', Float32Array.from({ length: N }, (_, j) => 0.01 + 0.003 * j), [N]);
          const node = mkNode('QLinearMatMul', [ta, 'float32', ta, tb, 'float32', tb, 'float32', ty], {}, 10, new Map([[3, b]]));
          return { node, inputs: [v.tensor(ta, [n, K]), scalar(0.05), v.tensor(ta, []), b, bs, v.tensor(tb, [N]), scalar(0.3), v.tensor(ty, [])] };
        },
        numRuns: 15,
      });
    });
  }
});
