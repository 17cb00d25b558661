/**
 * Every native Conv:f32 / ConvInteger / QLinearConv variant, each on its own, against the scalar reference through
 * the equivalence harness. Geometry varies with the size class: kernel 1x1 / 3x3 / 2x3, strides, dilations, explicit
 * pads and the auto_pad modes, batch 1-2. Integer results bit-exact (padding at x_zero_point, per-channel weight zero
 * points and scales, int32 bias); float on dyadic values (exact in any order).
 */
import { describe, expect, it } from 'vitest';
import { Tensor, referenceKernels, type DType, type RunContext } from '@lowbit/kernels';
import { assertEquivalent, type ValueSource } from '@lowbit/testing';
import { loadAddon } from './addon.js';
import { node, readyBackend, registryWith, tracked } from './test-support.js';

const backend = await readyBackend(2);
const loaded = loadAddon();
const SIZES = [1, 2, 3, 5, 8, 11];

function geometry(size: number) {
  const C = (size % 3) + 1;
  const M = size + 2;
  const H = size + 3;
  const W = size + 4;
  const k = size % 3 === 0 ? [1, 1] : size % 3 === 1 ? [3, 3] : [2, 3];
  const attrs = new Map<string, number | number[] | string>([['strides', [1 + (size % 2), 1]], ['dilations', [1, 1 + (size % 4 === 1 ? 1 : 0)]]]);
  if (size % 4 === 2) attrs.set('auto_pad', size % 8 === 2 ? 'SAME_UPPER' : 'SAME_LOWER');
  else if (size % 4 === 3) attrs.set('auto_pad', 'VALID');
  else attrs.set('pads', [size % 2, 1, 0, size % 3]);
  return { N: 1 + (size % 2), C, M, H, W, k, attrs };
}

const convNode = (op: string, types: (DType | null)[], constants: Map<number, Tensor>, attrs: Map<string, unknown>) => ({ ...node(op, types, constants), attrs: attrs as never });

function buildFloat(size: number, values: ValueSource) {
  const g = geometry(size);
  const dy = (dims: number[]) => new Tensor('float32', Float32Array.from(values.tensor('int8', dims).data as Int8Array, (v) => v / 8), dims);
  const x = dy([g.N, g.C, g.H, g.W]);
  const w = dy([g.M, g.C, g.k[0], g.k[1]]);
  const b = dy([g.M]);
  return { node: convNode('Conv', ['float32', 'float32', 'float32'], new Map([[1, w]]), g.attrs), inputs: [x, w, b] };
}

function buildInt(tx: DType, tw: DType) {
  return (size: number, values: ValueSource) => {
    const g = geometry(size);
    const x = values.tensor(tx, [g.N, g.C, g.H, g.W]);
    const w = values.tensor(tw, [g.M, g.C, g.k[0], g.k[1]]);
    const inputs = [x, w, values.tensor(tx, []), size % 2 ? values.tensor(tw, [g.M]) : values.tensor(tw, [])];
    return { node: convNode('ConvInteger', [tx, tw, tx, tw], new Map([[1, w]]), g.attrs), inputs };
  };
}

function buildQLinear(tx: DType, tw: DType, ty: DType) {
  return (size: number, values: ValueSource) => {
    const g = geometry(size);
    const x = values.tensor(tx, [g.N, g.C, g.H, g.W]);
    const w = values.tensor(tw, [g.M, g.C, g.k[0], g.k[1]]);
    const f = (...v: number[]) => new Tensor('float32', Float32Array.from(v), v.length === 1 ? [] : [v.length]);
    const sw = size % 2 ? f(...Array.from({ length: g.M }, (_, m) => 0.5 / (m + 1))) : f(0.25);
    const bias = new Tensor('int32', Int32Array.from({ length: g.M }, (_, m) => (m * 997) % 2001 - 1000), [g.M]);
    const inputs = [x, f(0.5), values.tensor(tx, []), w, sw, size % 2 ? values.tensor(tw, [g.M]) : values.tensor(tw, []), f(size % 3 ? 4 : 0.5), values.tensor(ty, []), size === 3 ? null : bias];
    return { node: convNode('QLinearConv', [tx, 'float32', tx, tw, 'float32', tw, 'float32', ty, 'int32'], new Map([[3, w]]), g.attrs), inputs };
  };
}

/**
 * QLinearConv shapes of the conv classes the x86 kernels treat apart (1x1 over many pixels with a small K; the strided
 * first layer with C = 3; 3x3 / dilated with channel tails; many channels on a small plane), with per-channel weight
 * zero points (the column-sum correction) or none, and y_scales whose multipliers are below 1, above 1 (the clamp before
 * the conversion) or infinite (the general epilogue).
 */
const CLASS_SHAPES: { C: number; M: number; H: number; W: number; k: number; s: number; d: number; p: number }[] = [
  { C: 16, M: 32, H: 13, W: 21, k: 1, s: 1, d: 1, p: 0 },
  { C: 3, M: 16, H: 23, W: 31, k: 3, s: 2, d: 1, p: 1 },
  { C: 13, M: 29, H: 9, W: 11, k: 3, s: 1, d: 2, p: 2 },
  { C: 64, M: 12, H: 4, W: 5, k: 3, s: 1, d: 1, p: 1 },
  { C: 8, M: 24, H: 12, W: 40, k: 1, s: 2, d: 1, p: 0 },
  { C: 6, M: 40, H: 7, W: 70, k: 3, s: 1, d: 1, p: 1 },
  // ultraface-rfb-320's head (3x3 over 256 channels on 4x5), its first layer's widths (stride 2, 33 padded columns:
  // a 16-column tail), a 1x1 with M 32 (row strips of whole pairs); an odd count, so that every shape meets both zw kinds
  { C: 256, M: 6, H: 4, W: 5, k: 3, s: 1, d: 1, p: 1 },
  { C: 3, M: 16, H: 9, W: 65, k: 3, s: 2, d: 1, p: 1 },
  { C: 32, M: 32, H: 6, W: 50, k: 1, s: 1, d: 1, p: 0 },
];

function buildClass(size: number, values: ValueSource) {
  const c = CLASS_SHAPES[size % CLASS_SHAPES.length];
  const x = values.tensor('uint8', [1, c.C, c.H, c.W]);
  const w = values.tensor('int8', [c.M, c.C, c.k, c.k]);
  const f = (...v: number[]) => new Tensor('float32', Float32Array.from(v), v.length === 1 ? [] : [v.length]);
  const sw = f(...Array.from({ length: c.M }, (_, m) => 0.001 * (1 + (m % 7))));
  const zw = size % 2 ? values.tensor('int8', [c.M]) : new Tensor('int8', new Int8Array(c.M), [c.M]);
  const bias = new Tensor('int32', Int32Array.from({ length: c.M }, (_, m) => (m * 7919) % 40001 - 20000), [c.M]);
  // 1e-45: the multiplier overflows to infinity; 1e-6: multipliers above 1 (products past 2^31 before the clamp)
  const sy = size >= CLASS_SHAPES.length * 3 ? 1e-45 : size >= CLASS_SHAPES.length * 2 ? 1e-6 : 0.02;
  const inputs = [x, f(0.05), values.tensor('uint8', []), w, sw, zw, f(sy), values.tensor('uint8', []), bias];
  const attrs = new Map<string, unknown>([['strides', [c.s, c.s]], ['dilations', [c.d, c.d]], ['pads', [c.p, c.p, c.p, c.p]]]);
  return { node: convNode('QLinearConv', ['uint8', 'float32', 'uint8', 'int8', 'float32', 'int8', 'float32', 'uint8', 'int32'], new Map([[3, w]]), attrs), inputs };
}

describe('native convolution equivalence', () => {
  if ('error' in loaded) {
    it('reports ready=false when the addon is absent', () => {
      console.log(`kernels-native: addon absent, convolutions not tested: ${loaded.error}`);
      expect(backend.ready).toBe(false);
    });
    return;
  }
  const check = (key: string, build: (size: number, values: ValueSource) => { node: never; inputs: (Tensor | null)[] }) => {
    const variants = backend.variants().filter((v) => v.key === key && !v.name.startsWith('native-dw-')); // depthwise: dwconv.equiv.test.ts
    expect(variants.length).toBeGreaterThan(0);
    for (const v of variants) {
      const t = tracked(v);
      assertEquivalent({ registry: registryWith(t.variant), key, build, sizes: SIZES, numRuns: 6 });
      expect(t.instances()).toBeGreaterThan(0);
      expect(t.referenceRuns()).toBe(0); // every case ran natively
    }
  };
  it('Conv:f32: every variant matches the reference exactly on dyadic inputs', () => check('Conv:f32', buildFloat as never));
  for (const [tx, tw] of [['uint8', 'int8'], ['int8', 'int8'], ['uint8', 'uint8'], ['int8', 'uint8']] as const) {
    const s = (t: DType) => (t === 'uint8' ? 'u8' : 'i8');
    it(`ConvInteger:${s(tx)}x${s(tw)}->i32 and QLinearConv:${s(tx)}x${s(tw)}->{u8,i8}: every variant is bit-exact`, () => {
      check(`ConvInteger:${s(tx)}x${s(tw)}->i32`, buildInt(tx, tw) as never);
      for (const ty of ['uint8', 'int8'] as const) check(`QLinearConv:${s(tx)}x${s(tw)}->${s(ty)}`, buildQLinear(tx, tw, ty) as never);
    });
  }
  it('QLinearConv:u8xi8->u8 on the conv classes (small K, strided C = 3, dilated, small plane, infinite multiplier) is bit-exact', () => {
    const key = 'QLinearConv:u8xi8->u8';
    for (const v of backend.variants().filter((x) => x.key === key && !x.name.startsWith('native-dw-'))) {
      const t = tracked(v);
      assertEquivalent({ registry: registryWith(t.variant), key, build: buildClass as never, sizes: Array.from({ length: CLASS_SHAPES.length * 4 }, (_, i) => i), numRuns: 2 });
      expect(t.referenceRuns()).toBe(0);
    }
  });
  it('QLinearConv with constant scales: multipliers kept while the constant tensors come in, recomputed for others', () => {
    const key = 'QLinearConv:u8xi8->u8';
    const ref = referenceKernels().find((v) => v.key === key)!;
    const f = (...v: number[]) => new Tensor('float32', Float32Array.from(v), v.length === 1 ? [] : [v.length]);
    const x = new Tensor('uint8', Uint8Array.from({ length: 5 * 9 * 11 }, (_, i) => (i * 131) % 256), [1, 5, 9, 11]);
    const w = new Tensor('int8', Int8Array.from({ length: 7 * 5 * 9 }, (_, i) => ((i * 37) % 255) - 127), [7, 5, 3, 3]);
    const sx = f(0.03), sw = f(...Array.from({ length: 7 }, (_, m) => 0.002 * (m + 1))), sy = f(0.05);
    const u8 = (v: number) => new Tensor('uint8', Uint8Array.of(v), []);
    const attrs = new Map<string, unknown>([['pads', [1, 1, 1, 1]]]);
    const types: DType[] = ['uint8', 'float32', 'uint8', 'int8', 'float32', 'int8', 'float32', 'uint8'];
    const n = convNode('QLinearConv', types, new Map<number, Tensor>([[1, sx], [3, w], [4, sw], [6, sy]]), attrs);
    const rctx = { alloc: (dtype: DType, dims: readonly number[]) => new Tensor(dtype, new Uint8Array(dims.reduce((a, b) => a * b, 1)) as never, dims) } as unknown as RunContext;
    const scales: [Tensor, Tensor, Tensor][] = [[sx, sw, sy], [sx, sw, sy], [sx, sw, f(0.2)], [f(0.01), sw, sy], [sx, sw, sy]];
    for (const v of backend.variants().filter((x) => x.key === key && !x.name.startsWith('native-dw-'))) {
      const inst = v.create(n);
      for (const [a, b, c] of scales) {
        const inputs = [x, a, u8(9), w, b, null, c, u8(100)];
        const want = ref.create(n).run(inputs, rctx)[0]!;
        const got = inst.run(inputs, rctx)[0]!;
        expect(Array.from(got.data as Uint8Array)).toEqual(Array.from(want.data as Uint8Array));
      }
      expect((inst as { referenceRuns?: number }).referenceRuns).toBe(0);
    }
  });
  it('declines grouped convolutions and non-constant weights', () => {
    const v = backend.variants().find((x) => x.key === 'Conv:f32')!;
    const w = new Tensor('float32', new Float32Array(8), [2, 1, 2, 2]);
    expect(v.supports!(node('Conv', ['float32', 'float32'], new Map([[1, w]])))).toBe(true);
    expect(v.supports!({ ...node('Conv', ['float32', 'float32'], new Map([[1, w]])), attrs: new Map([['group', 2]]) })).toBe(false);
    expect(v.supports!(node('Conv', ['float32', 'float32']))).toBe(false);
  });
});
