/**
 * The bound path of the native static int8 convolutions (dense QGemm.bindConvRequant / runConvBound, depthwise
 * DwConvBound): taken only while inputs 1..8 are the node's constants and x has the bound dims and type, bit-identical
 * to the scalar reference on it and on every fallback (new input shape, a non-constant scale, an absent bias); the
 * addon's bound calls refuse X / Y shorter than the bound geometry needs (RangeError) and bad bound operands.
 */
import { describe, expect, it } from 'vitest';
import { Tensor, referenceKernels, type DType, type RunContext } from '@lowbit/kernels';
import { loadAddon } from './addon.js';
import { convGeometry2d, conv2dAttrs } from './conv.js';
import { node, readyBackend } from './test-support.js';

const backend = await readyBackend(1);
const loaded = loadAddon();
const key = 'QLinearConv:u8xi8->u8';
const C = 6;
const convNode = (constants: Map<number, Tensor>, attrs: Map<string, unknown>) =>
  ({ ...node('QLinearConv', ['uint8', 'float32', 'uint8', 'int8', 'float32', 'int8', 'float32', 'uint8', 'int32'], constants), attrs: attrs as never });
const rctx = { alloc: (dtype: DType, dims: readonly number[]) => new Tensor(dtype, new Uint8Array(dims.reduce((a, b) => a * b, 1)) as never, dims) } as unknown as RunContext;
const f = (...v: number[]) => new Tensor('float32', Float32Array.from(v), v.length === 1 ? [] : [v.length]);
const xOf = (h: number, w: number, seed: number) => new Tensor('uint8', Uint8Array.from({ length: C * h * w }, (_, i) => (i * 131 + seed * 17) % 256), [1, C, h, w]);

/** A dense (M = 7) or depthwise (group C, M = 12) QLinearConv with every input but x constant. */
function model(dw: boolean, zyConstant = true) {
  const M = dw ? 12 : 7;
  const wDims = dw ? [M, 1, 3, 3] : [M, C, 3, 3];
  const wn = wDims.reduce((a, b) => a * b, 1);
  const w = new Tensor('int8', Int8Array.from({ length: wn }, (_, i) => ((i * 37) % 255) - 127), wDims);
  const sx = f(0.03), sw = f(...Array.from({ length: M }, (_, m) => 0.002 * (m + 1))), sy = f(0.05);
  const xz = new Tensor('uint8', Uint8Array.of(9), []);
  const wz = new Tensor('int8', Int8Array.from({ length: M }, (_, m) => (m % 5) - 2), [M]);
  const zy = new Tensor('uint8', Uint8Array.of(100), []);
  const bias = new Tensor('int32', Int32Array.from({ length: M }, (_, m) => (m * 7919) % 2001 - 1000), [M]);
  const consts = new Map<number, Tensor>([[1, sx], [2, xz], [3, w], [4, sw], [5, wz], [6, sy], [8, bias]]);
  if (zyConstant) consts.set(7, zy);
  const attrs = new Map<string, unknown>([['pads', [1, 1, 1, 1]], ['strides', [1, 2]], ...(dw ? [['group', C] as [string, unknown]] : [])]);
  return { n: convNode(consts, attrs), M, w, sx, sw, sy, xz, wz, zy, bias };
}

describe('native QLinearConv bound operands', () => {
  if ('error' in loaded) {
    it('registers nothing without the addon', () => expect(backend.variants()).toEqual([]));
    return;
  }
  const { addon } = loaded;
  const ref = referenceKernels().find((v) => v.key === key)!;
  for (const dw of [false, true]) {
    const kind = dw ? 'depthwise' : 'dense';
    it(`${kind}: bound only while the inputs are the node's constants and x keeps its dims; bit-exact on every path`, () => {
      const m = model(dw);
      const variants = backend.variants().filter((v) => v.key === key && v.name.startsWith('native-dw-') === dw && v.supports!(m.n as never));
      expect(variants.length).toBeGreaterThan(0);
      const std = (x: Tensor) => [x, m.sx, m.xz, m.w, m.sw, m.wz, m.sy, m.zy, m.bias];
      // [inputs, bound runs after this run]
      const steps: [(Tensor | null)[], number][] = [
        [std(xOf(9, 11, 0)), 0], // first run: the operands bound
        [std(xOf(9, 11, 0)), 1],
        [std(xOf(9, 11, 1)), 2], // new data, same dims
        [std(xOf(5, 7, 2)), 2], // new dims: the existing path (and bound again for them)
        [std(xOf(5, 7, 3)), 3],
        [[xOf(5, 7, 3), m.sx, m.xz, m.w, m.sw, m.wz, f(0.05), m.zy, m.bias], 3], // y_scale not the constant (same value)
        [[xOf(5, 7, 3), m.sx, m.xz, m.w, f(...Array.from({ length: m.M }, (_, j) => 0.001 * (j + 2))), m.wz, m.sy, m.zy, m.bias], 3], // w_scale other values
        [[xOf(5, 7, 4), m.sx, m.xz, m.w, m.sw, m.wz, m.sy, m.zy, null], 3], // bias absent
        [[xOf(5, 7, 4), m.sx, new Tensor('uint8', Uint8Array.of(9), []), m.w, m.sw, m.wz, m.sy, m.zy, m.bias], 3], // x_zero_point a copy
        [std(xOf(5, 7, 5)), 4],
      ];
      for (const v of variants) {
        const inst = v.create(m.n as never) as { boundRuns?: number; referenceRuns?: number } & ReturnType<typeof v.create>;
        steps.forEach(([inputs, boundAfter], i) => {
          const want = ref.create(m.n as never).run(inputs, rctx)[0]!;
          const got = inst.run(inputs, rctx)[0]!;
          expect(got.dims, `${v.name} step ${i}`).toEqual(want.dims);
          expect(Array.from(got.data as Uint8Array), `${v.name} step ${i}`).toEqual(Array.from(want.data as Uint8Array));
          expect(inst.boundRuns, `${v.name} step ${i}`).toBe(boundAfter);
        });
        expect(inst.referenceRuns).toBe(0);
      }
    });
    it(`${kind}: never bound when y_zero_point is not a constant`, () => {
      const m = model(dw, false);
      for (const v of backend.variants().filter((x) => x.key === key && x.name.startsWith('native-dw-') === dw && x.supports!(m.n as never))) {
        const inst = v.create(m.n as never) as { boundRuns?: number } & ReturnType<typeof v.create>;
        for (let i = 0; i < 3; i++) {
          const inputs = [xOf(9, 11, i), m.sx, m.xz, m.w, m.sw, m.wz, m.sy, m.zy, m.bias];
          expect(Array.from(inst.run(inputs, rctx)[0]!.data as Uint8Array)).toEqual(Array.from(ref.create(m.n as never).run(inputs, rctx)[0]!.data as Uint8Array));
        }
        expect(inst.boundRuns).toBe(0);
      }
    });
  }

  it('QGemm.runConvBound and DwConvBound.run refuse short X or Y (RangeError), unbound calls and bad bound operands', () => {
    const pool = new addon.Pool(1);
    const x = xOf(9, 11, 0);
    // dense: K = C*3*3, N = 7
    const md = model(false);
    const attrs = conv2dAttrs(md.n as never, md.w.dims)!;
    const geo = convGeometry2d(attrs, x.dims, md.w.dims)!;
    const ylen = 7 * geo[11] * geo[12];
    const K = C * 9;
    const B = new Int8Array(K * 7);
    const q = new addon.QGemm(addon.info().qgemm.find((k) => !k.needs7bit)!.name, B, K, 7, 1);
    const mult = new Float32Array(7).fill(0.01);
    expect(() => q.runConvBound(pool, x.data as Uint8Array, 1, new Uint8Array(ylen))).toThrow(/before bindConvRequant/);
    expect(() => q.bindConvRequant(geo, 9, null, new Float32Array(3), 100, null)).toThrow(RangeError);
    expect(() => q.bindConvRequant(geo, 9, new Int8Array(3), mult, 100, null)).toThrow(RangeError);
    expect(() => q.bindConvRequant(geo, 9, null, mult, 100, new Int32Array(6))).toThrow(RangeError);
    const badGeo = new Int32Array(geo);
    badGeo[0] = C + 1; // C*KH*KW != K
    expect(() => q.bindConvRequant(badGeo, 9, null, mult, 100, null)).toThrow(RangeError);
    q.bindConvRequant(geo, 9, null, mult, 100, new Int32Array(7));
    q.runConvBound(pool, x.data as Uint8Array, 1, new Uint8Array(ylen));
    expect(() => q.runConvBound(pool, (x.data as Uint8Array).subarray(1), 1, new Uint8Array(ylen))).toThrow(RangeError);
    expect(() => q.runConvBound(pool, x.data as Uint8Array, 2, new Uint8Array(2 * ylen))).toThrow(RangeError); // batch 2: X too short
    expect(() => q.runConvBound(pool, x.data as Uint8Array, 1, new Uint8Array(ylen - 1))).toThrow(RangeError);
    expect(() => q.runConvBound(pool, Array.from(x.data as Uint8Array) as never, 1, new Uint8Array(ylen))).toThrow(TypeError);
    expect(() => q.runConvBound(pool, x.data as Uint8Array, 1, new Int32Array(ylen) as never)).toThrow(TypeError);
    q.dispose();
    // depthwise: M = 12 over C = 6
    const mw = model(true);
    const dgeo = convGeometry2d({ k: [3, 3], s: [1, 2], d: [1, 1], pads: [1, 1, 1, 1], auto: 'NOTSET' }, x.dims, [12, C, 3, 3])!;
    const dylen = 12 * dgeo[11] * dgeo[12];
    const W = mw.w.data as Int8Array;
    const m12 = new Float32Array(12).fill(0.01);
    expect(() => new addon.DwConvBound('scalar-c', dgeo, W.subarray(1), 12, 9, null, m12, 100, null)).toThrow(RangeError);
    expect(() => new addon.DwConvBound('scalar-c', dgeo, W, 13, 9, null, m12, 100, null)).toThrow(RangeError); // M not a multiple of C
    expect(() => new addon.DwConvBound('scalar-c', dgeo, W, 12, 9, null, new Float32Array(5), 100, null)).toThrow(RangeError);
    expect(() => new addon.DwConvBound('scalar-c', dgeo, W, 12, 9, null, m12, 100, new Int32Array(11))).toThrow(RangeError);
    for (const k of ['scalar-c', 'avx2'] as const) {
      if (k === 'avx2' && !backend.variants().some((v) => v.name === 'native-dw-avx2')) continue;
      const d = new addon.DwConvBound(k, dgeo, W, 12, 9, null, m12, 100, null);
      d.run(pool, x.data as Uint8Array, 1, new Uint8Array(dylen));
      expect(() => d.run(pool, (x.data as Uint8Array).subarray(0, x.data.length - 1), 1, new Uint8Array(dylen))).toThrow(RangeError);
      expect(() => d.run(pool, x.data as Uint8Array, 3, new Uint8Array(3 * dylen))).toThrow(RangeError);
      expect(() => d.run(pool, x.data as Uint8Array, 1, new Uint8Array(dylen - 1))).toThrow(RangeError);
      expect(() => d.run(pool, new Float32Array(x.data.length) as never, 1, new Uint8Array(dylen))).toThrow(TypeError);
      expect(() => d.run(pool, x.data as Uint8Array, 1, {} as never)).toThrow(TypeError);
    }
    pool.close();
  });
});
