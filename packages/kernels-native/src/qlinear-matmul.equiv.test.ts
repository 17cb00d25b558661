/**
 * Every native QLinearMatMul variant, each on its own, against the scalar reference through the equivalence harness:
 * bit-exact over all 8 signedness keys, per-tensor and per-column b parameters, scales that produce exact .5 ties and
 * saturation, batch dims; inputs outside the native fast path (per-row a scale) go to the reference and still match.
 */
import { describe, expect, it } from 'vitest';
import { Tensor, freshRunContext, referenceKernels, type DType } from '@lowbit/kernels';
import { assertEquivalent, type ValueSource } from '@lowbit/testing';
import { loadAddon } from './addon.js';
import { node, readyBackend, registryWith, tracked } from './test-support.js';

const backend = await readyBackend(2);
const loaded = loadAddon();
const Q8 = ['uint8', 'int8'] as const;
const short = (t: DType) => (t === 'uint8' ? 'u8' : 'i8');
const f32 = (...v: number[]) => new Tensor('float32', Float32Array.from(v), v.length === 1 ? [] : [v.length]);

function build(ta: DType, tb: DType, ty: DType) {
  return (size: number, values: ValueSource) => {
    const M = size;
    const K = (size * 3 + 2) % 40 + 1;
    const N = size + 9;
    const a = values.tensor(ta, size % 2 ? [2, M, K] : [M, K]);
    const b = values.tensor(tb, [K, N]);
    const sa = f32(size % 3 === 0 || size === 16 ? 0.5 : 0.0125);
    const sb = size % 2 ? f32(...Array.from({ length: N }, (_, j) => 0.25 + j / 64)) : f32(size === 16 ? 1 : 0.02); // size 16: multiplier 0.25, exact .5 ties
    const sy = f32(size % 4 === 0 ? 2 : 0.75);
    const za = values.tensor(ta, []);
    const zb = size % 2 ? values.tensor(tb, [N]) : values.tensor(tb, []);
    const zy = values.tensor(ty, []);
    const perRow = size === 5; // a per-row a_scale: the reference path
    const saT = perRow ? new Tensor('float32', Float32Array.from({ length: M }, (_, i) => 0.01 * (i + 1)), [M]) : sa;
    const inputs = [a, saT, za, b, sb, zb, sy, zy];
    return { node: node('QLinearMatMul', [ta, 'float32', ta, tb, 'float32', tb, 'float32', ty], new Map([[3, b]])), inputs };
  };
}

/** Activations x activations (attention): B an input, batched or broadcast, parameters per tensor. */
function buildDynamicB(ta: DType, tb: DType, ty: DType) {
  return (size: number, values: ValueSource) => {
    const M = size;
    const K = (size * 3 + 2) % 40 + 1;
    const N = size + 9;
    const a = values.tensor(ta, size % 3 === 0 ? [2, 3, M, K] : [3, M, K]);
    const b = values.tensor(tb, size % 3 === 0 ? [1, 3, K, N] : size % 2 ? [K, N] : [3, K, N]);
    const inputs = [a, f32(size === 16 ? 0.5 : 0.0125), values.tensor(ta, []), b, f32(size === 16 ? 1 : 0.02), values.tensor(tb, []), f32(size % 4 === 0 ? 2 : 0.75), values.tensor(ty, [])];
    return { node: node('QLinearMatMul', [ta, 'float32', ta, tb, 'float32', tb, 'float32', ty]), inputs };
  };
}

describe('native QLinearMatMul equivalence', () => {
  if ('error' in loaded) {
    it('reports ready=false when the addon is absent', () => {
      console.log(`kernels-native: addon absent, QLinearMatMul not tested: ${loaded.error}`);
      expect(backend.ready).toBe(false);
    });
    return;
  }
  for (const ta of Q8)
    for (const tb of Q8)
      for (const ty of Q8) {
        const key = `QLinearMatMul:${short(ta)}x${short(tb)}->${short(ty)}`;
        it(`${key}: every variant is bit-exact`, () => {
          const variants = backend.variants().filter((v) => v.key === key && !v.name.endsWith('-dynamic-b'));
          expect(variants.length).toBeGreaterThan(0);
          for (const v of backend.variants().filter((x) => x.key === key && x.name.endsWith('-dynamic-b'))) {
            const t = tracked(v);
            const r = assertEquivalent({ registry: registryWith(t.variant), key, build: buildDynamicB(ta, tb, ty), sizes: [1, 2, 3, 16, 33], numRuns: 6 });
            expect(r.variants).toEqual([v.name]);
            expect(t.referenceRuns()).toBe(0);
          }
          for (const v of variants) {
            const t = tracked(v);
            assertEquivalent({ registry: registryWith(t.variant), key, build: build(ta, tb, ty), sizes: [0, 1, 2, 16, 33], numRuns: 8 });
            expect(t.referenceRuns()).toBe(0);
            const p = tracked(v);
            assertEquivalent({ registry: registryWith(p.variant), key, build: build(ta, tb, ty), sizes: [5], numRuns: 1 });
            expect(p.referenceRuns()).toBe(p.instances()); // per-row a_scale: handed to the reference
          }
        });
      }
});

/** lowbit.QLinearMatMulToFloat: QLinearMatMul's inputs (per-tensor y parameters) and a float bias of N or 1 values. */
function buildToFloat(ta: DType, tb: DType, ty: DType) {
  const q = build(ta, tb, ty);
  return (size: number, values: ValueSource) => {
    const { inputs } = q(size === 5 ? 6 : size, values);
    const b = inputs[3]!;
    const N = b.dims[1];
    const bias = size % 3 === 1 ? undefined : size % 3 === 2 ? values.tensor('float32', [1]) : values.tensor('float32', [N]);
    const all = bias ? [...inputs, bias] : inputs;
    return { node: { ...node('QLinearMatMulToFloat', all.map((t) => t!.dtype), new Map([[3, b]])), domain: 'lowbit' }, inputs: all };
  };
}

describe('native lowbit.QLinearMatMulToFloat equivalence', () => {
  if ('error' in loaded) return;
  for (const ta of Q8)
    for (const tb of Q8)
      for (const ty of Q8) {
        const key = `lowbit.QLinearMatMulToFloat:${short(ta)}`;
        it(`${key} (b ${tb}, y ${ty}): every variant is bit-exact, none handed to the reference`, () => {
          const variants = backend.variants().filter((v) => v.key === key);
          expect(variants.length).toBeGreaterThan(0);
          for (const v of variants) {
            const t = tracked(v);
            const r = assertEquivalent({ registry: registryWith(t.variant), key, build: buildToFloat(ta, tb, ty), sizes: [0, 1, 2, 16, 33], numRuns: 6 });
            expect(r.variants).toEqual([v.name]);
            expect(t.referenceRuns()).toBe(0);
          }
        });
      }
});

/** lowbit.QLinearMatMulToFloatSplit: buildToFloat's operands with y_scale / y_zero_point per group (three groups; even
 *  sizes split on 16-column boundaries, where the tiles store into the groups; others anywhere). */
function buildToFloatSplit(ta: DType, tb: DType, ty: DType) {
  const q = buildToFloat(ta, tb, ty);
  return (size: number, values: ValueSource) => {
    const c = q(size === 0 ? 1 : size, values);
    const inputs = [...c.inputs];
    const [a, , , b0] = inputs as Tensor[];
    const K = b0.dims[0];
    const widths = size % 2 === 0 ? [16, 32, 16] : [2, 1 + (size % 5), 4];
    const N = widths.reduce((x, y) => x + y, 0);
    const b = values.tensor(tb, [K, N]);
    const perCol = (t: Tensor) => t.data.length === 1 ? t : values.tensor(t.dtype, [N]);
    inputs[3] = b;
    inputs[4] = inputs[4]!.data.length === 1 ? inputs[4] : new Tensor('float32', Float32Array.from({ length: N }, (_, j) => 0.25 + j / 64), [N]);
    inputs[5] = perCol(inputs[5]!);
    inputs[6] = new Tensor('float32', Float32Array.from(widths, (_, g) => [0.75, 2, 0.125][g]), [3]);
    inputs[7] = values.tensor(ty, [3]);
    if (inputs[8]) inputs[8] = perCol(inputs[8]);
    void a;
    const n = { ...node('QLinearMatMulToFloatSplit', inputs.map((t) => t!.dtype), new Map([[3, b]])), domain: 'lowbit', attrs: new Map([['splits', widths]]) as never, outputCount: 3 };
    return { node: n, inputs };
  };
}

describe('native lowbit.QLinearMatMulToFloatSplit equivalence', () => {
  if ('error' in loaded) return;
  for (const ta of Q8)
    for (const ty of Q8) {
      const key = `lowbit.QLinearMatMulToFloatSplit:${short(ta)}`;
      it(`${key} (y ${ty}): every variant is bit-exact, none handed to the reference`, () => {
        const variants = backend.variants().filter((v) => v.key === key);
        expect(variants.length).toBeGreaterThan(0);
        for (const v of variants) {
          const t = tracked(v);
          const r = assertEquivalent({ registry: registryWith(t.variant), key, build: buildToFloatSplit(ta, 'int8', ty), sizes: [1, 2, 3, 16, 33], numRuns: 6 });
          expect(r.variants).toEqual([v.name]);
          expect(t.referenceRuns()).toBe(0);
        }
      });
    }
});

/**
 * BERT-sized lowbit.QLinearMatMulToFloat (the GEMM's tiles requantize, dequantize and add the bias in registers):
 * whole 64-column tiles, K = 1024 in two K blocks, N = 1100 over two column blocks with a partial last panel, and
 * multipliers that land mostly inside the 8-bit range (few saturated values).
 */
function buildBert(ta: DType, ty: DType) {
  const shapes = [[[64], 256, 256], [[64], 1024, 256], [[2, 17], 300, 1100]] as const;
  return (size: number, values: ValueSource) => {
    const [lead, K, N] = shapes[(size - 1) % 3];
    const a = values.tensor(ta, [...lead, K]);
    const b = values.tensor('int8', [K, N]);
    const perCol = size !== 2;
    const sb = perCol ? f32(...Array.from({ length: N }, (_, j) => Math.fround(0.004 + (j % 37) / 20000))) : f32(0.005);
    const inputs = [a, f32(0.02), values.tensor(ta, []), b, sb, perCol ? values.tensor('int8', [N]) : values.tensor('int8', []), f32(K > 512 ? 0.5 : 0.25), values.tensor(ty, [])];
    const bias = size === 3 ? undefined : size === 2 ? values.tensor('float32', [1], { finite: true }) : values.tensor('float32', [N], { finite: true });
    const all = bias ? [...inputs, bias] : inputs;
    return { node: { ...node('QLinearMatMulToFloat', all.map((t) => t!.dtype), new Map([[3, b]])), domain: 'lowbit' }, inputs: all };
  };
}

describe('native lowbit.QLinearMatMulToFloat on BERT shapes', () => {
  if ('error' in loaded) return;
  for (const ta of Q8)
    it(`lowbit.QLinearMatMulToFloat:${short(ta)}: every variant is bit-exact on 64 x 256 x 256, 64 x 1024 x 256, 34 x 300 x 1100`, () => {
      const key = `lowbit.QLinearMatMulToFloat:${short(ta)}`;
      const variants = backend.variants().filter((v) => v.key === key && !v.name.endsWith('-dynamic-b'));
      expect(variants.length).toBeGreaterThan(0);
      for (const v of variants) {
        const t = tracked(v);
        const r = assertEquivalent({ registry: registryWith(t.variant), key, build: buildBert(ta, ta === 'int8' ? 'int8' : 'uint8'), sizes: [1, 2, 3], numRuns: 1 });
        expect(r.variants).toEqual([v.name]);
        expect(t.referenceRuns()).toBe(0);
      }
    });
});

describe('native lowbit.QLinearMatMulToFloat with constant scales', () => {
  if ('error' in loaded) return;
  it('computes the multipliers once for constant scales and again for other scale tensors, bit-exact each run', () => {
    const key = 'lowbit.QLinearMatMulToFloat:u8';
    const [K, N] = [40, 70];
    const a = new Tensor('uint8', Uint8Array.from({ length: 3 * K }, (_, i) => (i * 37) % 256), [3, K]);
    const b = new Tensor('int8', Int8Array.from({ length: K * N }, (_, i) => ((i * 53) % 256) - 128), [K, N]);
    const sb = f32(...Array.from({ length: N }, (_, j) => 0.003 + j / 40000));
    const inputs = [a, f32(0.02), new Tensor('uint8', Uint8Array.of(7), []), b, sb, new Tensor('int8', Int8Array.of(3), []), f32(0.25), new Tensor('uint8', Uint8Array.of(120), []), f32(...Array.from({ length: N }, (_, j) => j / 8))];
    const n = { ...node('QLinearMatMulToFloat', inputs.map((t) => t.dtype), new Map([[1, inputs[1]], [3, b], [4, sb], [6, inputs[6]]])), domain: 'lowbit' };
    const ref = referenceKernels().find((r) => r.key === key)!.create(n);
    const other = [...inputs];
    other[4] = f32(...Array.from({ length: N }, (_, j) => 0.006 + j / 30000)); // same shape, not the constant
    for (const v of backend.variants().filter((x) => x.key === key && !x.name.endsWith('-dynamic-b'))) {
      const inst = v.create(n);
      for (const ins of [inputs, inputs, other, inputs]) {
        const got = Array.from(inst.run(ins, freshRunContext)[0]!.data as Float32Array);
        expect(got, v.name).toEqual(Array.from(ref.run(ins, freshRunContext)[0]!.data as Float32Array));
      }
      expect((inst as unknown as { referenceRuns: number }).referenceRuns).toBe(0);
    }
  });
});
