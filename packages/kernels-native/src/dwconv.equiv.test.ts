/**
 * The native depthwise Conv:f32 / ConvInteger / QLinearConv variants (`native-dw-*`), each on its own, against the scalar
 * reference through the equivalence harness: bit-exact. Geometry varies with the size class: 3x3 / 5x5 / 1x3 / 17x17 kernels,
 * strides 1-2, dilations, explicit pads and auto_pad, channel multipliers 1-2, batch 1-2, per-channel or per-tensor
 * weight zero points and scales, bias or none; group-1 nodes are declined (the GEMM variants take them).
 */
import { describe, expect, it } from 'vitest';
import { Tensor, referenceKernels, type DType, type RunContext } from '@lowbit/kernels';
import { assertEquivalent, type ValueSource } from '@lowbit/testing';
import { loadAddon } from './addon.js';
import { node, readyBackend, registryWith, tracked } from './test-support.js';

const backend = await readyBackend(2);
const loaded = loadAddon();
// 21: a 17x17 kernel (289 taps), beyond the float-accumulator path's 256, takes the int32 loop.
const SIZES = [1, 2, 3, 5, 8, 13, 21];

function geometry(size: number) {
  const C = (size % 4) + 2;
  const mult = size % 3 === 2 ? 2 : 1;
  const k = size >= 20 ? [17, 17] : size % 3 === 0 ? [3, 3] : size % 3 === 1 ? [5, 5] : [1, 3];
  const attrs = new Map<string, number | number[] | string>([['group', C], ['strides', [1 + (size % 2), 1 + (size % 4 === 3 ? 1 : 0)]], ['dilations', [1, 1 + (size % 5 === 3 ? 1 : 0)]]]);
  if (size % 4 === 2) attrs.set('auto_pad', 'SAME_UPPER');
  else attrs.set('pads', [size % 3, 1, size % 2, 2]);
  return { N: 1 + (size % 2), C, M: C * mult, H: size + 4, W: size + 6, k, attrs };
}

const convNode = (op: string, types: (DType | null)[], constants: Map<number, Tensor>, attrs: Map<string, unknown>) => ({ ...node(op, types, constants), attrs: attrs as never });

function buildFloat(size: number, values: ValueSource) {
  const g = geometry(size);
  // Dyadic values (k / 8): products and sums exact in float32, so any summation order gives the reference's bits.
  const dy = (dims: number[]) => new Tensor('float32', Float32Array.from(values.tensor('int8', dims).data as Int8Array, (v) => v / 8), dims);
  const w = dy([g.M, 1, g.k[0], g.k[1]]);
  const inputs = [dy([g.N, g.C, g.H, g.W]), w, size % 2 ? dy([g.M]) : null];
  return { node: convNode('Conv', ['float32', 'float32', 'float32'], new Map([[1, w]]), g.attrs), inputs };
}

function buildInt(tx: DType, tw: DType) {
  return (size: number, values: ValueSource) => {
    const g = geometry(size);
    const x = values.tensor(tx, [g.N, g.C, g.H, g.W]);
    const w = values.tensor(tw, [g.M, 1, g.k[0], g.k[1]]);
    const inputs = [x, w, values.tensor(tx, []), size % 2 ? values.tensor(tw, [g.M]) : values.tensor(tw, [])];
    return { node: convNode('ConvInteger', [tx, tw, tx, tw], new Map([[1, w]]), g.attrs), inputs };
  };
}

function buildQLinear(tx: DType, tw: DType, ty: DType) {
  return (size: number, values: ValueSource) => {
    const g = geometry(size);
    const x = values.tensor(tx, [g.N, g.C, g.H, g.W]);
    const w = values.tensor(tw, [g.M, 1, g.k[0], g.k[1]]);
    const f = (...v: number[]) => new Tensor('float32', Float32Array.from(v), v.length === 1 ? [] : [v.length]);
    const sw = size % 2 ? f(...Array.from({ length: g.M }, (_, m) => 0.5 / (m + 1))) : f(0.25);
    const bias = new Tensor('int32', Int32Array.from({ length: g.M }, (_, m) => (m * 997) % 2001 - 1000), [g.M]);
    const inputs = [x, f(0.5), values.tensor(tx, []), w, sw, size % 2 ? values.tensor(tw, [g.M]) : values.tensor(tw, []), f(size % 3 ? 4 : 0.5), values.tensor(ty, []), size === 3 ? null : bias];
    return { node: convNode('QLinearConv', [tx, 'float32', tx, tw, 'float32', tw, 'float32', ty, 'int32'], new Map([[3, w]]), g.attrs), inputs };
  };
}

describe('native depthwise convolution equivalence', () => {
  if ('error' in loaded) {
    it('registers nothing without the addon', () => expect(backend.variants()).toEqual([]));
    return;
  }
  const check = (key: string, build: (size: number, values: ValueSource) => { node: never; inputs: (Tensor | null)[] }) => {
    const variants = backend.variants().filter((v) => v.key === key && v.name.startsWith('native-dw-'));
    expect(variants.map((v) => v.name)).toContain('native-dw-scalar-c');
    if (backend.isas.includes('avx2')) expect(variants.map((v) => v.name)).toContain('native-dw-avx2');
    for (const v of variants) {
      const t = tracked(v);
      const r = assertEquivalent({ registry: registryWith(t.variant), key, build, sizes: SIZES, numRuns: 6 });
      expect(r.variants).toEqual([v.name]);
      expect(t.instances()).toBeGreaterThan(0);
      expect(t.referenceRuns()).toBe(0); // every case ran natively
    }
  };
  it('Conv:f32: depthwise variants match the reference exactly on dyadic inputs (17x17: declined, 289 taps)', () => {
    const variants = backend.variants().filter((v) => v.key === 'Conv:f32' && v.name.startsWith('native-dw-'));
    expect(variants.map((v) => v.name)).toContain('native-dw-scalar-c');
    for (const v of variants) {
      const t = tracked(v);
      const r = assertEquivalent({ registry: registryWith(t.variant), key: 'Conv:f32', build: buildFloat as never, sizes: SIZES.filter((s) => s < 20), numRuns: 6 });
      expect(r.variants).toEqual([v.name]);
      expect(t.referenceRuns()).toBe(0);
      const big = buildFloat(21, { tensor: (dt: DType, dims: number[]) => new Tensor(dt, new Int8Array(dims.reduce((a, b) => a * b, 1)) as never, dims) } as never);
      expect(v.supports!(big.node)).toBe(false);
    }
  });
  for (const [tx, tw] of [['uint8', 'int8'], ['int8', 'int8'], ['uint8', 'uint8'], ['int8', 'uint8']] as const) {
    const s = (t: DType) => (t === 'uint8' ? 'u8' : 'i8');
    it(`ConvInteger:${s(tx)}x${s(tw)}->i32 and QLinearConv:${s(tx)}x${s(tw)}->{u8,i8}: depthwise variants are bit-exact`, () => {
      check(`ConvInteger:${s(tx)}x${s(tw)}->i32`, buildInt(tx, tw) as never);
      for (const ty of ['uint8', 'int8'] as const) check(`QLinearConv:${s(tx)}x${s(tw)}->${s(ty)}`, buildQLinear(tx, tw, ty) as never);
    });
  }
  it('QLinearConv with constant scales: multipliers kept while the constant tensors come in, recomputed for others; input shapes change', () => {
    const key = 'QLinearConv:u8xi8->u8';
    const ref = referenceKernels().find((v) => v.key === key)!;
    const f = (...v: number[]) => new Tensor('float32', Float32Array.from(v), v.length === 1 ? [] : [v.length]);
    const xOf = (h: number, w: number) => new Tensor('uint8', Uint8Array.from({ length: 6 * h * w }, (_, i) => (i * 131) % 256), [1, 6, h, w]);
    const w = new Tensor('int8', Int8Array.from({ length: 6 * 9 }, (_, i) => ((i * 37) % 255) - 127), [6, 1, 3, 3]);
    const sx = f(0.03), sw = f(...Array.from({ length: 6 }, (_, m) => 0.002 * (m + 1))), sy = f(0.05);
    const u8 = (v: number) => new Tensor('uint8', Uint8Array.of(v), []);
    const attrs = new Map<string, unknown>([['group', 6], ['pads', [1, 1, 1, 1]], ['strides', [1, 2]]]);
    const types: DType[] = ['uint8', 'float32', 'uint8', 'int8', 'float32', 'int8', 'float32', 'uint8'];
    const n = convNode('QLinearConv', types, new Map<number, Tensor>([[1, sx], [3, w], [4, sw], [6, sy]]), attrs);
    const rctx = { alloc: (dtype: DType, dims: readonly number[]) => new Tensor(dtype, new Uint8Array(dims.reduce((a, b) => a * b, 1)) as never, dims) } as unknown as RunContext;
    const runs: [Tensor, Tensor, Tensor, Tensor][] = [
      [xOf(9, 70), sx, sw, sy], [xOf(9, 70), sx, sw, sy], [xOf(9, 70), sx, sw, f(0.2)], [xOf(5, 11), f(0.01), sw, sy], [xOf(5, 11), sx, sw, sy], [xOf(9, 70), sx, sw, sy],
    ];
    const variants = backend.variants().filter((x) => x.key === key && x.name.startsWith('native-dw-'));
    expect(variants.length).toBeGreaterThan(0);
    for (const v of variants) {
      const inst = v.create(n as never);
      for (const [x, a, b, c] of runs) {
        const inputs = [x, a, u8(9), w, b, null, c, u8(100)];
        const want = ref.create(n as never).run(inputs, rctx)[0]!;
        const got = inst.run(inputs, rctx)[0]!;
        expect(got.dims).toEqual(want.dims);
        expect(Array.from(got.data as Uint8Array)).toEqual(Array.from(want.data as Uint8Array));
      }
      expect((inst as { referenceRuns?: number }).referenceRuns).toBe(0);
    }
  });
  it('declines group-1 and non-depthwise grouped nodes', () => {
    const v = backend.variants().find((x) => x.key === 'ConvInteger:u8xi8->i32' && x.name.startsWith('native-dw-'))!;
    const dw = new Tensor('int8', new Int8Array(4 * 9), [4, 1, 3, 3]);
    const g2 = new Tensor('int8', new Int8Array(4 * 2 * 9), [4, 2, 3, 3]);
    const n = (w: Tensor, group: number) => ({ ...node('ConvInteger', ['uint8', 'int8'], new Map([[1, w]])), attrs: new Map([['group', group]]) as never });
    expect(v.supports!(n(dw, 4))).toBe(true);
    expect(v.supports!(n(dw, 2))).toBe(true); // 2 groups of 1 input channel each, 2 outputs per group
    expect(v.supports!(n(dw, 1))).toBe(false);
    expect(v.supports!(n(g2, 2))).toBe(false);
  });
});
