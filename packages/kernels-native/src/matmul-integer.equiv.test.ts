/**
 * Every native MatMulInteger variant this CPU runs, each on its own, against the scalar reference through the
 * equivalence harness (size sweep, misaligned views, poisoned outputs, fast-check over edge values): bit-exact.
 * Covers all four signedness keys, scalar and per-row / per-column zero points, batch dims, full-range and 7-bit
 * weights (the AVX2 variant must take its vpmaddubsw path exactly when the weights are 7-bit).
 */
import { describe, expect, it } from 'vitest';
import { Tensor, freshRunContext, type DType } from '@lowbit/kernels';
import { assertEquivalent, type ValueSource } from '@lowbit/testing';
import { loadAddon } from './addon.js';
import type { NativeQInstance } from './matmul-integer.js';
import { node, readyBackend, registryWith, tracked } from './test-support.js';

const backend = await readyBackend(2);
const loaded = loadAddon();
const KEYS = [['uint8', 'int8'], ['int8', 'int8'], ['uint8', 'uint8'], ['int8', 'uint8']] as const;
const SIZES = [0, 1, 2, 5, 16, 17, 33];

function build(ta: DType, tb: DType, sevenBit: boolean) {
  return (size: number, values: ValueSource) => {
    const M = size;
    const K = (size * 5 + 3) % 71 + (size > 16 ? 64 : 1);
    const N = size + 15;
    const lead = size % 2 === 1 ? [2] : [];
    const a = values.tensor(ta, [...lead, M, K]);
    let b = values.tensor(tb, [K, N]);
    if (sevenBit) {
      const d = Int32Array.from(b.data as ArrayLike<number>, (v) => (tb === 'int8' ? v >> 1 : v & 0x7f));
      b = new Tensor(tb, tb === 'int8' ? Int8Array.from(d) : Uint8Array.from(d), [K, N]);
    }
    const za = size % 3 === 0 ? values.tensor(ta, [1]) : values.tensor(ta, [M]);
    const zb = size % 4 === 1 ? values.tensor(tb, []) : values.tensor(tb, [N]);
    return { node: node('MatMulInteger', [ta, tb, ta, tb], new Map([[1, b]])), inputs: [a, b, za, zb] };
  };
}

/** Activations x activations (attention): B an input, batched or broadcast, zero points per tensor. */
function buildDynamicB(ta: DType, tb: DType) {
  return (size: number, values: ValueSource) => {
    const M = size;
    const K = (size * 5 + 3) % 71 + 1;
    const N = size + 15;
    const a = values.tensor(ta, size % 3 === 0 ? [2, 3, M, K] : [3, M, K]);
    const b = values.tensor(tb, size % 3 === 0 ? [1, 3, K, N] : size % 2 ? [K, N] : [3, K, N]);
    return { node: node('MatMulInteger', [ta, tb, ta, tb]), inputs: [a, b, values.tensor(ta, []), values.tensor(tb, [])] };
  };
}

describe('native MatMulInteger equivalence', () => {
  if ('error' in loaded) {
    it('reports ready=false with a diagnostic when the addon is absent', () => {
      console.log(`kernels-native: addon absent, native variants not tested: ${loaded.error}`);
      expect(backend.ready).toBe(false);
      expect(backend.diagnostics.join(' ')).toMatch(/native addon/);
      expect(backend.variants()).toEqual([]);
    });
    return;
  }

  it('registers one variant per key and per kernel this CPU runs, ISAs from CPUID', () => {
    expect(backend.ready).toBe(true);
    const names = [...new Set(backend.variants().filter((v) => v.key.startsWith('MatMulInteger') && !v.name.endsWith('-dynamic-b')).map((v) => v.name))];
    const kernels = backend.info!.qgemm.filter((k) => !k.needs7bit).map((k) => `native-${k.name}`);
    expect(names.sort()).toEqual(kernels.sort());
    expect(names).toContain('native-scalar-c');
    for (const v of backend.variants()) expect(backend.isas).toContain(v.isa);
    console.log(`kernels-native on ${backend.info!.cpu.trim()}: ${backend.diagnostics.join('; ')}`);
  });

  for (const [ta, tb] of KEYS) {
    const key = `MatMulInteger:${ta === 'uint8' ? 'u8' : 'i8'}x${tb === 'uint8' ? 'u8' : 'i8'}->i32`;
    it(`${key}: every variant is bit-exact (full-range and 7-bit weights)`, () => {
      const variants = backend.variants().filter((v) => v.key === key && !v.name.endsWith('-dynamic-b'));
      expect(variants.length).toBeGreaterThan(0);
      for (const v of backend.variants().filter((x) => x.key === key && x.name.endsWith('-dynamic-b'))) {
        const t = tracked(v);
        const r = assertEquivalent({ registry: registryWith(t.variant), key, build: buildDynamicB(ta, tb), sizes: [1, 2, 3, 16, 33], numRuns: 6 });
        expect(r.variants).toEqual([v.name]);
        expect(t.referenceRuns()).toBe(0);
      }
      for (const v of variants) {
        for (const seven of [false, true]) {
          const t = tracked(v);
          const r = assertEquivalent({ registry: registryWith(t.variant), key, build: build(ta, tb, seven), sizes: SIZES, numRuns: 15 });
          expect(r.variants).toEqual([v.name]);
          expect(t.referenceRuns()).toBe(0);
        }
      }
    });
  }

  it('the AVX2 variant takes the vpmaddubsw path only for 7-bit weights', () => {
    const v = backend.variants().find((x) => x.key === 'MatMulInteger:u8xi8->i32' && x.name === 'native-avx2');
    if (!v) {
      console.log('kernels-native: no AVX2 on this CPU, 7-bit path not checked');
      expect(backend.isas).not.toContain('avx2');
      return;
    }
    const full = new Tensor('int8', Int8Array.from({ length: 64 }, (_, i) => (i * 37) % 256 - 128), [8, 8]);
    const seven = new Tensor('int8', Int8Array.from({ length: 64 }, (_, i) => ((i * 37) % 128) - 64), [8, 8]);
    const a = new Tensor('uint8', Uint8Array.from({ length: 16 }, (_, i) => 255 - i * 3), [2, 8]);
    for (const [b, path] of [[full, 'avx2'], [seven, 'avx2-7bit']] as const) {
      const inst = v.create(node('MatMulInteger', ['uint8', 'int8'], new Map([[1, b]]))) as NativeQInstance;
      expect(inst.path).toBe(path);
      const [y] = inst.run([a, b], freshRunContext);
      const want = new Int32Array(16);
      for (let i = 0; i < 2; i++) for (let j = 0; j < 8; j++) for (let k = 0; k < 8; k++) want[i * 8 + j] += a.data[i * 8 + k] * b.data[k * 8 + j];
      expect(Array.from(y!.data as Int32Array)).toEqual(Array.from(want));
      inst.dispose?.();
    }
  });

  it('declines nodes whose B is not a constant 2-D initializer, and reports shape errors like the reference', () => {
    const v = backend.variants().find((x) => x.key === 'MatMulInteger:u8xu8->i32')!;
    expect(v.supports!(node('MatMulInteger', ['uint8', 'uint8']))).toBe(false);
    const b = new Tensor('uint8', new Uint8Array(6), [3, 2]);
    expect(v.supports!(node('MatMulInteger', ['uint8', 'uint8'], new Map([[1, b]])))).toBe(true);
    const inst = v.create(node('MatMulInteger', ['uint8', 'uint8'], new Map([[1, b]])));
    const bad = new Tensor('uint8', new Uint8Array(8), [2, 4]);
    expect(() => inst.run([bad, b], freshRunContext)).toThrow(/inner dimension/);
  });
});
