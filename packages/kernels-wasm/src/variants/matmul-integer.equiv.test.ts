/**
 * MatMulInteger wasm variants against the scalar reference, bit-exact: sizes around the 4 x 8 tile in M, K and N,
 * full-range and 7-bit weights, per-row A and per-column B zero points, B as a constant (packed at create: the
 * harness's aligned layout) and as a plain input (packed per call: its offset layout).
 */
import { describe, expect, it } from 'vitest';
import { Tensor, freshRunContext, type DType } from '@lowbit/kernels';
import { assertEquivalent, type ValueSource } from '@lowbit/testing';
import { mkNode, seeded, wasmRegistry } from '../test-support/index.js';

const { registry, backend } = await wasmRegistry();
const SHORT = { uint8: 'u8', int8: 'i8' } as const;
const PAIRS = [['uint8', 'int8'], ['int8', 'int8'], ['uint8', 'uint8'], ['int8', 'uint8']] as const;

/** B drawn from `v`, squeezed into the 7-bit range (int8 [-64, 63], uint8 [0, 127]) when `seven`. */
function weights(v: ValueSource, dtype: 'uint8' | 'int8', dims: number[], seven: boolean): Tensor {
  const t = v.tensor(dtype, dims);
  if (!seven) return t;
  const d = t.data as Int8Array | Uint8Array;
  for (let i = 0; i < d.length; i++) d[i] = dtype === 'int8' ? d[i] >> 1 : d[i] >> 1;
  return t;
}

function build(ta: DType, tb: 'uint8' | 'int8', seven: boolean, rowZp: boolean) {
  return (n: number, v: ValueSource) => {
    const M = n;
    const K = (n * 5) % 13 + n;
    const N = n + (n % 3);
    const b = weights(v, tb, [K, N], seven);
    const node = mkNode('MatMulInteger', [ta, tb, ta, tb], {}, 10, new Map([[1, b]]));
    return { node, inputs: [v.tensor(ta, [M, K]), b, rowZp ? v.tensor(ta, [M]) : v.tensor(ta, []), v.tensor(tb, [N])] };
  };
}

describe('MatMulInteger on wasm', () => {
  it('loads the relaxed module here (Node 20 with the V8 flag) and offers both variants', () => {
    expect(backend.isas).toContain('wasm-simd128');
    const names = registry.variants('MatMulInteger:u8xi8->i32').map((v) => v.name);
    expect(names).toContain('wasm-simd128-4x8');
    if (backend.isas.includes('wasm-relaxed')) expect(names).toContain('wasm-relaxed-4x8');
  });

  for (const [ta, tb] of PAIRS) {
    const key = `MatMulInteger:${SHORT[ta]}x${SHORT[tb]}->i32`;
    it(`${key}: full-range weights, per-row and per-column zero points`, () => {
      const r = assertEquivalent({ registry, key, build: build(ta, tb, false, true), numRuns: 40 });
      expect(r.variants).toContain('wasm-simd128-4x8');
    });
    it(`${key}: 7-bit weights (the relaxed path), scalar A zero point`, () => {
      assertEquivalent({ registry, key, build: build(ta, tb, true, false), numRuns: 40 });
    });
  }

  it('relaxed supports() takes 7-bit constant weights only; the SIMD128 variant takes any', () => {
    const relaxed = registry.variants('MatMulInteger:u8xi8->i32').find((v) => v.name === 'wasm-relaxed-4x8');
    if (!relaxed) return;
    const full = new Tensor('int8', [-128, 5, 63, -64], [2, 2]);
    const seven = new Tensor('int8', [-64, 5, 63, 0], [2, 2]);
    const n = (b?: Tensor) => mkNode('MatMulInteger', ['uint8', 'int8'], {}, 10, b ? new Map([[1, b]]) : undefined);
    expect(relaxed.supports!(n(full))).toBe(false);
    expect(relaxed.supports!(n(seven))).toBe(true);
    expect(relaxed.supports!(n())).toBe(false);
    expect(registry.resolve('MatMulInteger:u8xi8->i32', { available: backend.isas }, n(full)).name).toBe('wasm-simd128-4x8');
  });

  it('batched A [2, 3, K] with per-row zero points and a large K equals the reference', () => {
    const rand = seeded(11);
    const K = 1001;
    const a = new Tensor('uint8', Uint8Array.from({ length: 2 * 3 * K }, () => Math.floor(rand() * 256)), [2, 3, K]);
    const b = new Tensor('int8', Int8Array.from({ length: K * 19 }, () => Math.floor(rand() * 256) - 128), [K, 19]);
    const za = new Tensor('uint8', [3, 200, 255], [3]);
    const zb = new Tensor('int8', Int8Array.from({ length: 19 }, (_, j) => j * 13 - 128), [19]);
    const node = mkNode('MatMulInteger', ['uint8', 'int8', 'uint8', 'int8'], {}, 10, new Map([[1, b]]));
    const ref = registry.resolve('MatMulInteger:u8xi8->i32').create(node);
    const expected = registry.variants('MatMulInteger:u8xi8->i32').find((v) => v.name === 'scalar')!.create(node).run([a, b, za, zb], freshRunContext)[0]!;
    for (const v of registry.variants('MatMulInteger:u8xi8->i32')) {
      const y = v.create(node).run([a, b, za, zb], freshRunContext)[0]!;
      expect(y.dims).toEqual([2, 3, 19]);
      expect(Array.from(y.data as Int32Array)).toEqual(Array.from(expected.data as Int32Array));
    }
    ref.dispose?.();
  });

  it('few rows (the GEMV path, four panels at a time) with N around multiples of 32 equal the reference', () => {
    const rand = seeded(5);
    for (const M of [1, 2, 3]) for (const N of [31, 32, 33, 70]) for (const K of [1, 6, 129]) {
      for (const [ta, tb] of PAIRS) {
        const gen = (t: 'uint8' | 'int8', n: number) => (t === 'uint8' ? Uint8Array.from({ length: n }, () => Math.floor(rand() * 256)) : Int8Array.from({ length: n }, () => Math.floor(rand() * 256) - 128));
        const a = new Tensor(ta, gen(ta, M * K), [M, K]);
        const b = new Tensor(tb, gen(tb, K * N), [K, N]);
        const zb = new Tensor(tb, gen(tb, N), [N]);
        const za = new Tensor(ta, gen(ta, 1), []);
        const key = `MatMulInteger:${SHORT[ta]}x${SHORT[tb]}->i32`;
        const node = mkNode('MatMulInteger', [ta, tb, ta, tb], {}, 10, new Map([[1, b]]));
        const expected = Array.from(registry.variants(key).find((v) => v.name === 'scalar')!.create(node).run([a, b, za, zb], freshRunContext)[0]!.data as Int32Array);
        const simd = registry.variants(key).find((v) => v.name === 'wasm-simd128-4x8')!;
        expect(Array.from(simd.create(node).run([a, b, za, zb], freshRunContext)[0]!.data as Int32Array), `${key} ${M}x${K}x${N}`).toEqual(expected);
        const relaxed = registry.variants(key).find((v) => v.name === 'wasm-relaxed-4x8');
        if (relaxed) {
          const b7 = new Tensor(tb, (b.data as Int8Array | Uint8Array).map((x) => x >> 1) as never, [K, N]);
          const n7 = mkNode('MatMulInteger', [ta, tb, ta, tb], {}, 10, new Map([[1, b7]]));
          expect(relaxed.supports!(n7)).toBe(true);
          const want = Array.from(registry.variants(key).find((v) => v.name === 'scalar')!.create(n7).run([a, b7, za, zb], freshRunContext)[0]!.data as Int32Array);
          expect(Array.from(relaxed.create(n7).run([a, b7, za, zb], freshRunContext)[0]!.data as Int32Array), `relaxed ${key} ${M}x${K}x${N}`).toEqual(want);
        }
      }
    }
  });

  it('one instance alternating GEMV and GEMM calls (the i16 copy of B made at the first M >= 4 call) equals the reference, and dispose frees both copies', () => {
    const rand = seeded(9);
    const heap = backend.runtime!.heap;
    const before = heap.used;
    for (const [ta, tb] of PAIRS) {
      const gen = (t: 'uint8' | 'int8', n: number) => (t === 'uint8' ? Uint8Array.from({ length: n }, () => Math.floor(rand() * 256)) : Int8Array.from({ length: n }, () => Math.floor(rand() * 256) - 128));
      const K = 37;
      const N = 45;
      const b = new Tensor(tb, gen(tb, K * N), [K, N]);
      const zb = new Tensor(tb, gen(tb, N), [N]);
      const key = `MatMulInteger:${SHORT[ta]}x${SHORT[tb]}->i32`;
      const node = mkNode('MatMulInteger', [ta, tb, ta, tb], {}, 10, new Map([[1, b]]));
      const scalar = registry.variants(key).find((v) => v.name === 'scalar')!.create(node);
      const inst = registry.variants(key).find((v) => v.name === 'wasm-simd128-4x8')!.create(node);
      let grew = 0;
      for (const M of [1, 9, 2, 4, 1, 7]) {
        const a = new Tensor(ta, gen(ta, M * K), [M, K]);
        const za = new Tensor(ta, gen(ta, M), [M]);
        const usedBefore = heap.used;
        const got = Array.from(inst.run([a, b, za, zb], freshRunContext)[0]!.data as Int32Array);
        if (heap.used > usedBefore) grew++;
        expect(got, `${key} M=${M}`).toEqual(Array.from(scalar.run([a, b, za, zb], freshRunContext)[0]!.data as Int32Array));
      }
      expect(grew, `${key}: the widened B is made once`).toBe(1);
      inst.dispose!();
      scalar.dispose?.();
      expect(heap.used).toBe(before);
    }
  });

  it('dispose returns the packed weights to the heap', () => {
    const heap = backend.runtime!.heap;
    const before = heap.used;
    const b = new Tensor('int8', new Int8Array(64 * 40), [64, 40]);
    const inst = registry.resolve('MatMulInteger:u8xi8->i32', { available: ['wasm-simd128'] }).create(mkNode('MatMulInteger', ['uint8', 'int8'], {}, 10, new Map([[1, b]])));
    expect(heap.used).toBeGreaterThan(before);
    inst.dispose!();
    expect(heap.used).toBe(before);
  });
});
