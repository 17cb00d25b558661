/**
 * Native lowbit.QLookupGlobalAveragePool / QLookupMulQuantize against the scalar reference: exact (the averages as
 * values, NaN payloads aside; the quantized bytes bit for bit) on random
 * bytes, tables with specials (NaN, infinities, signed zeros, huge values), per-plane gates of every broadcast form,
 * planes below 8, with tails, and of 64 or more (the per-plane output table path); the optional forms (the pool
 * quantized, the gate as bytes through its own table); other gate broadcasts go to the reference.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { freshRunContext, referenceKernels, Tensor, type DType, type KernelNode } from '@lowbit/kernels';
import { loadAddon } from './addon.js';
import { readyBackend } from './test-support.js';

const backend = await readyBackend(1);
const loaded = loadAddon();
const node = (opType: string, types: DType[]): KernelNode => ({ name: 'gate0', opType, domain: 'lowbit', opset: 1, attrs: new Map(), inputTypes: types, outputCount: 1 });
const bits = (t: Tensor) => Array.from(new Uint8Array((t.data as Uint8Array).buffer, (t.data as Uint8Array).byteOffset, (t.data as Uint8Array).byteLength));
const SPECIALS = [NaN, Infinity, -Infinity, 0, -0, 0.5, -0.5, 1.5, 2.5, 3.4e38, -3.4e38, 1e-45, 12.5, -12.5];

describe('native squeeze-excite lookups equivalence', () => {
  if ('error' in loaded) return;
  const pair = (op: string, dt: DType, types: DType[]) => {
    const key = `lowbit.${op}:${dt === 'uint8' ? 'u8' : 'i8'}`;
    const v = backend.variants().find((x) => x.key === key)!;
    const r = referenceKernels().find((x) => x.key === key)!;
    return { native: v.create(node(op, types)), ref: r.create(node(op, types)) };
  };
  it('bit-exact with the reference on random inputs, nothing handed to it for per-plane gates', () => {
    fc.assert(fc.property(fc.constantFrom<DType>('uint8', 'int8'), fc.constantFrom<DType>('uint8', 'int8'), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 9 }),
      fc.constantFrom(1, 3, 7, 8, 9, 33, 63, 64, 65, 192, 288, 2100), fc.constantFrom('nc11', '1c11', 'n111', '1111'), fc.array(fc.oneof(fc.constantFrom(...SPECIALS), fc.float({ min: -500, max: 500, noNaN: true })), { minLength: 256, maxLength: 256 }),
      fc.constantFrom(0.013, 0.1, 1, 6.5), fc.integer({ min: 0, max: 255 }), fc.integer(),
      (xt, yt, N, C, plane, gs, tv, sy, zy, seed) => {
        const n = N * C * plane;
        const xs = Int32Array.from({ length: n }, (_, i) => (((i + 7) * 2654435761 + seed) >>> 0) % 256);
        const x = new Tensor(xt, Array.from(xs, (v) => (xt === 'int8' && v > 127 ? v - 256 : v)), [N, C, plane, 1]);
        const table = new Tensor('float32', Float32Array.from(tv), [256]);
        const p = pair('QLookupGlobalAveragePool', xt, [xt, 'float32']);
        // Float averages: equal values (Object.is: signed zeros told apart), NaN payloads aside (C and JS make different NaNs).
        expect(Array.from(p.native.run([x, table], freshRunContext)[0]!.data as Float32Array)).toEqual(Array.from(p.ref.run([x, table], freshRunContext)[0]!.data as Float32Array));
        const gdims = { nc11: [N, C, 1, 1], '1c11': [1, C, 1, 1], n111: [N, 1, 1, 1], '1111': [1, 1, 1, 1] }[gs];
        const gate = new Tensor('float32', Float32Array.from({ length: gdims.reduce((a, b) => a * b, 1) }, (_, i) => (i % 5 === 4 ? SPECIALS[(seed >>> 0) % SPECIALS.length] : Math.fround(Math.sin(i + seed) * 3))), gdims);
        const ins = [x, table, gate, new Tensor('float32', [sy], []), new Tensor(yt, [yt === 'int8' ? zy - 128 : zy], [])];
        const q = pair('QLookupMulQuantize', xt, [xt, 'float32', 'float32', 'float32', yt]);
        expect(bits(q.native.run(ins, freshRunContext)[0]!)).toEqual(bits(q.ref.run(ins, freshRunContext)[0]!));
        expect((q.native as unknown as { referenceRuns: number }).referenceRuns + (p.native as unknown as { referenceRuns: number }).referenceRuns).toBe(0);
        // The optional forms: the pool quantized (inputs 2-3), the gate as bytes through its own table (input 5).
        const outQ = [new Tensor('float32', [sy], []), new Tensor(yt, [yt === 'int8' ? zy - 128 : zy], [])];
        const pq = pair('QLookupGlobalAveragePool', xt, [xt, 'float32', 'float32', yt]);
        expect(bits(pq.native.run([x, table, ...outQ], freshRunContext)[0]!)).toEqual(bits(pq.ref.run([x, table, ...outQ], freshRunContext)[0]!));
        const g8 = new Tensor(xt, Array.from({ length: gate.data.length }, (_, i) => ((i * 37 + seed) & 255) - (xt === 'int8' ? 128 : 0)), gdims);
        const gt = new Tensor('float32', Float32Array.from({ length: 256 }, (_, k) => (k % 7 === 6 ? SPECIALS[k % SPECIALS.length] : Math.fround(k / 255))), [256]);
        const insT = [x, table, g8, ...outQ, gt];
        const qt = pair('QLookupMulQuantize', xt, [xt, 'float32', xt, 'float32', yt, 'float32']);
        expect(bits(qt.native.run(insT, freshRunContext)[0]!)).toEqual(bits(qt.ref.run(insT, freshRunContext)[0]!));
        // ... equal to the float gate made by hand
        const gf = new Tensor('float32', Float32Array.from(new Uint8Array((g8.data as Uint8Array).buffer, (g8.data as Uint8Array).byteOffset, g8.data.length), (b) => gt.data[b]), gdims);
        expect(bits(qt.ref.run(insT, freshRunContext)[0]!)).toEqual(bits(q.ref.run([x, table, gf, ...outQ], freshRunContext)[0]!));
        expect((pq.native as unknown as { referenceRuns: number }).referenceRuns + (qt.native as unknown as { referenceRuns: number }).referenceRuns).toBe(0);
      }), { numRuns: 120 });
  });
  it('a gate that is not one value per [n, c] plane runs on the reference, same result', () => {
    const x = new Tensor('uint8', Array.from({ length: 24 }, (_, i) => i * 9), [1, 2, 3, 4]);
    const table = new Tensor('float32', Float32Array.from({ length: 256 }, (_, k) => k / 3), [256]);
    const ins = [x, table, new Tensor('float32', [1, 2, 3, 4], [4]), new Tensor('float32', [0.5], []), new Tensor('uint8', [3], [])];
    const q = pair('QLookupMulQuantize', 'uint8', ['uint8', 'float32', 'float32', 'float32', 'uint8']);
    expect(bits(q.native.run(ins, freshRunContext)[0]!)).toEqual(bits(q.ref.run(ins, freshRunContext)[0]!));
    expect((q.native as unknown as { referenceRuns: number }).referenceRuns).toBe(1);
  });
  it('lowbit.QLookup2: bit-exact with the reference (same shapes native, a broadcast on the reference)', () => {
    fc.assert(fc.property(fc.constantFrom<DType>('uint8', 'int8'), fc.constantFrom<DType>('uint8', 'int8'), fc.constantFrom<DType>('uint8', 'int8'), fc.integer({ min: 1, max: 700 }), fc.integer(), (at, bt, tt, n, seed) => {
      const bytes = (dt: DType, k: number, len: number) => Array.from({ length: len }, (_, i) => (((i + 3) * k + seed) >>> 0) % 256 - (dt === 'int8' ? 128 : 0));
      const table = new Tensor(tt, bytes(tt, 2654435761, 65536), [256, 256]);
      // The table's first and last entries (pair offsets 0, 1, 2 and 65535) inside a 16-pair vector step.
      const edge = (dt: DType, v: number[]) => (vals: number[]) => vals.map((x, i) => (i < 4 ? v[i] - (dt === 'int8' ? (v[i] > 127 ? 256 : 0) : 0) : x));
      const a = new Tensor(at, edge(at, [0, 0, 0, 255])(bytes(at, 97, n)), [1, n]);
      const key = `lowbit.QLookup2:${at === 'uint8' ? 'u8' : 'i8'}`;
      const v = backend.variants().find((x) => x.key === key)!;
      const r = referenceKernels().find((x) => x.key === key)!;
      for (const bDims of [[1, n], [1, 1]]) {
        const b = new Tensor(bt, bDims[1] === n ? edge(bt, [0, 1, 2, 255])(bytes(bt, 53, n)) : bytes(bt, 53, bDims[1]), bDims);
        const nk = node('QLookup2', [at, bt, tt]);
        const native = v.create(nk);
        expect(bits(native.run([a, b, table], freshRunContext)[0]!)).toEqual(bits(r.create(nk).run([a, b, table], freshRunContext)[0]!));
        expect((native as unknown as { referenceRuns: number }).referenceRuns).toBe(bDims[1] === n ? 0 : 1);
      }
    }), { numRuns: 60 });
  });
});
