/**
 * Every native MatMul:f32 / Gemm:f32 variant, each on its own, against the scalar reference.
 * 1. The equivalence harness with dyadic inputs (multiples of 1/8 within +-16: every product and partial sum is exact
 *    in float32, so any summation order gives the reference's bits) over the size sweep, misaligned views and
 *    poisoned outputs.
 * 2. Random float inputs: every element within K * 2^-23 * sum|a*b| of the exact (float64) sum, the variants agree
 *    with each other bit for bit (same FMA order on every ISA), and results do not depend on the thread count.
 * 3. NaN and infinities propagate like the reference.
 */
import { describe, expect, it } from 'vitest';
import { Tensor, freshRunContext, type KernelVariant } from '@lowbit/kernels';
import { assertEquivalent, type ValueSource } from '@lowbit/testing';
import { loadAddon } from './addon.js';
import { node, readyBackend, registryWith, tracked } from './test-support.js';

const backend = await readyBackend(1);
const backend3 = await readyBackend(3);
const loaded = loadAddon();
const SIZES = [0, 1, 2, 7, 13, 33, 40];

function dyadic(values: ValueSource, dims: number[]): Tensor<'float32'> {
  const t = values.tensor('int8', dims);
  return new Tensor('float32', Float32Array.from(t.data as Int8Array, (v) => v / 8), dims);
}

const dims = (size: number) => ({ M: size, K: (size * 7 + 5) % 50 + (size > 20 ? 260 : 1), N: size + 17 });

function buildMatMul(size: number, values: ValueSource) {
  const { M, K, N } = dims(size);
  const a = dyadic(values, size % 2 ? [2, M, K] : [M, K]);
  const b = dyadic(values, [K, N]);
  return { node: node('MatMul', ['float32', 'float32'], new Map([[1, b]])), inputs: [a, b] };
}

/** Activations x activations: B is an input, batched (and broadcast when size % 3 === 0). */
function buildMatMulDynamicB(size: number, values: ValueSource) {
  const { M, K, N } = dims(size);
  const a = dyadic(values, size % 3 === 0 ? [2, 3, M, K] : [3, M, K]);
  const b = dyadic(values, size % 3 === 0 ? [1, 3, K, N] : size % 2 ? [K, N] : [3, K, N]);
  return { node: node('MatMul', ['float32', 'float32']), inputs: [a, b] };
}

/**
 * lowbit.PermutedMatMul: attention's layouts (Q by [0, 2, 1, 3] times K by [0, 2, 3, 1]; P times V by [0, 2, 1, 3]) and
 * rank-2 / rank-3 ones (B^T, A's leading axes swapped), with broadcast batch dims when size % 4 === 3.
 */
function buildPermuted(size: number, values: ValueSource) {
  const { M, K, N } = dims(size);
  const H = 1 + (size % 3);
  const forms: { a: number[]; b: number[]; pa?: number[]; pb?: number[] }[] = [
    { a: [1, M, H, K], b: [1, N, H, K], pa: [0, 2, 1, 3], pb: [0, 2, 3, 1] },
    { a: [1, H, M, K], b: [1, K, H, N], pb: [0, 2, 1, 3] },
    { a: [M, K], b: [N, K], pb: [1, 0] },
    { a: [M, 2, K], b: size % 4 === 3 ? [1, N, K] : [2, N, K], pa: [1, 0, 2], pb: [0, 2, 1] },
  ];
  const f = forms[size % forms.length];
  const attrs = new Map<string, number[]>([...(f.pa ? [['perm_a', f.pa] as const] : []), ...(f.pb ? [['perm_b', f.pb] as const] : [])]);
  const n = { ...node('PermutedMatMul', ['float32', 'float32']), domain: 'lowbit', attrs: attrs as never };
  return { node: n, inputs: [dyadic(values, f.a), dyadic(values, f.b)] };
}

function buildGemm(size: number, values: ValueSource) {
  const { M, K, N } = dims(size);
  const transB = size % 2;
  const a = dyadic(values, [M, K]);
  const b = dyadic(values, transB ? [N, K] : [K, N]);
  const c = dyadic(values, size % 3 === 0 ? [N] : size % 3 === 1 ? [M, 1] : [1, N]);
  const attrs = new Map([['transB', transB], ['alpha', size % 4 === 2 ? 0.5 : 1], ['beta', size % 5 === 1 ? 2 : 1]]);
  return { node: node('Gemm', ['float32', 'float32', 'float32'], new Map([[1, b], [2, c]]), attrs), inputs: [a, b, c] };
}

function seeded(seed: number, n: number, lo: number, hi: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.fround(lo + ((hi - lo) * s) / 2 ** 32);
  });
}

function runOne(v: KernelVariant, a: Tensor<'float32'>, b: Tensor<'float32'>): Float32Array {
  const inst = v.create(node('MatMul', ['float32', 'float32'], new Map([[1, b]])));
  const [y] = inst.run([a, b], freshRunContext);
  inst.dispose?.();
  return y!.data as Float32Array;
}

describe('native float GEMM equivalence', () => {
  if ('error' in loaded) {
    it('reports ready=false with a diagnostic when the addon is absent', () => {
      console.log(`kernels-native: addon absent, native float variants not tested: ${loaded.error}`);
      expect(backend.ready).toBe(false);
      expect(backend.diagnostics.length).toBeGreaterThan(0);
    });
    return;
  }

  it('lowbit.PermutedMatMul:f32: every variant matches the reference exactly on dyadic inputs, reading the operands in place', () => {
    const key = 'lowbit.PermutedMatMul:f32';
    const variants = backend.variants().filter((v) => v.key === key);
    expect(variants.map((v) => v.name)).toContain('native-scalar-c');
    for (const [b, vs] of [[backend, variants], [backend3, backend3.variants().filter((v) => v.key === key)]] as const) {
      expect(vs.length).toBe(variants.length);
      for (const v of vs) {
        const t = tracked(v);
        const r = assertEquivalent({ registry: registryWith(t.variant), key, build: buildPermuted, sizes: [1, 2, 3, 4, 5, 7, 12, 13, 33, 40], numRuns: 8 });
        expect(r.variants, b === backend ? '1 thread' : '3 threads').toEqual([v.name]);
        expect(t.referenceRuns()).toBe(0);
      }
    }
  });

  for (const [key, build, dyn] of [['MatMul:f32', buildMatMul, false], ['Gemm:f32', buildGemm, false], ['MatMul:f32', buildMatMulDynamicB, true]] as const) {
    it(`${key}${dyn ? ' (B not constant)' : ''}: every variant matches the reference exactly on dyadic inputs`, () => {
      const variants = backend.variants().filter((v) => v.key === key && v.name.endsWith('-dynamic-b') === dyn);
      expect(variants.map((v) => v.name)).toContain(dyn ? 'native-scalar-c-dynamic-b' : 'native-scalar-c');
      for (const v of variants) {
        const t = tracked(v);
        const r = assertEquivalent({ registry: registryWith(t.variant), key, build, sizes: SIZES, numRuns: 10 });
        expect(r.variants).toEqual([v.name]);
        expect(t.referenceRuns()).toBe(0);
      }
    });
  }

  it('random inputs: within K * 2^-23 * sum|a*b| of the exact sum, bit-identical across variants and thread counts', () => {
    const variants = backend.variants().filter((v) => v.key === 'MatMul:f32');
    const variants3 = backend3.variants().filter((v) => v.key === 'MatMul:f32');
    for (const [M, K, N] of [[1, 300, 70], [37, 515, 45], [64, 64, 64]]) {
      const a = new Tensor('float32', seeded(M * 7 + K, M * K, -3, 3), [M, K]);
      const b = new Tensor('float32', seeded(N * 11 + K, K * N, -3, 3), [K, N]);
      const first = runOne(variants[0], a, b);
      for (const [i, v] of variants.entries()) {
        const y = runOne(v, a, b);
        expect(Buffer.from(runOne(variants3[i], a, b).buffer).equals(Buffer.from(y.buffer))).toBe(true);
        expect(Buffer.from(y.buffer).equals(Buffer.from(first.buffer))).toBe(true);
        for (let r = 0; r < M; r++)
          for (let j = 0; j < N; j++) {
            let exact = 0;
            let mag = 0;
            for (let k = 0; k < K; k++) {
              exact += a.data[r * K + k] * b.data[k * N + j];
              mag += Math.abs(a.data[r * K + k] * b.data[k * N + j]);
            }
            expect(Math.abs(y[r * N + j] - exact)).toBeLessThanOrEqual(K * 2 ** -23 * mag);
          }
      }
    }
  });

  it('NaN and infinities propagate as in the reference', () => {
    const a = new Tensor('float32', Float32Array.from([1, NaN, 2, 3, Infinity, 1, 0, -Infinity]), [4, 2]);
    const b = new Tensor('float32', Float32Array.from([1, 2, 0, 1]), [2, 2]);
    const ref = registryWith(backend.variants().find((x) => x.key === 'MatMul:f32')!).variants('MatMul:f32').find((x) => x.name === 'scalar')!;
    const want = Array.from(runOne(ref, a, b)).map(String);
    expect(want).toEqual(['NaN', 'NaN', '2', '7', 'Infinity', 'Infinity', 'NaN', '-Infinity']);
    for (const v of backend.variants().filter((x) => x.key === 'MatMul:f32')) expect(Array.from(runOne(v, a, b)).map(String)).toEqual(want);
  });
});
