import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createPassContext, DataType, tensorFromValues, verifyErrors } from '@lowbit/onnx-ir';
import type { Attr, Model, PassResult } from '@lowbit/onnx-ir';
import { mkGraph, mkModel, mkNode } from '@lowbit/testing';
import { Tensor } from '@lowbit/kernels';
import { loadBackends } from '../backend.js';
import { Session } from '../session.js';
import { rankTables, sinkMaxPoolLookup } from './sink-maxpool-lookup.js';
import { intAttr, intsAttr, tensorVi } from './test-support/qdq-graphs.js';

const run = (m: Model) => sinkMaxPoolLookup.run(m, createPassContext({})) as PassResult;
const ops = (m: Model) => m.graph.nodes.map((n) => `${n.domain ? `${n.domain}.` : ''}${n.opType}`);
const bits = (t: Tensor) => Array.from(new Uint8Array((t.data as Uint8Array).buffer, (t.data as Uint8Array).byteOffset, (t.data as Uint8Array).byteLength));

/** A HardSwish-like table: dips below zero, -0 at the low end, +0 at the zero point (as ppocr's). */
const hardswishTable = (zp: number, s: number) => Float32Array.from({ length: 256 }, (_, b) => {
  const x = Math.fround((b - zp) * s);
  return Math.fround(Math.fround(x * Math.min(Math.max(Math.fround(x + 3), 0), 6)) / 6);
});

interface Spec {
  C: number; H: number; W: number; table: Float32Array; signed?: boolean;
  pool?: Attr[]; indices?: boolean; gap?: boolean; leakLookup?: boolean;
}

/** xq [1, C, H, W] -> lowbit.QLookup(T) -> a -> MaxPool -> p [-> GlobalAveragePool -> g]. */
function model(s: Spec): Model {
  const nodes: ReturnType<typeof mkNode>[] = [
    mkNode('QLookup', ['xq', 'T'], ['a'], { name: 'lut', domain: 'lowbit' }),
    mkNode('MaxPool', ['a'], s.indices ? ['p', 'idx'] : ['p'], { name: 'pool', attributes: s.pool ?? [intsAttr('kernel_shape', [2, 2]), intsAttr('strides', [2, 2])] }),
  ];
  if (s.gap) nodes.push(mkNode('GlobalAveragePool', ['p'], ['g'], { name: 'gap' }));
  const m = mkModel(mkGraph({
    inputs: [tensorVi('xq', s.signed ? DataType.INT8 : DataType.UINT8, [1, s.C, s.H, s.W])],
    outputs: [s.gap ? 'g' : 'p', ...(s.indices ? ['idx'] : []), ...(s.leakLookup ? ['a'] : [])],
    initializers: [tensorFromValues('T', DataType.FLOAT, [256], s.table)],
    nodes,
  }), { opset: 19 });
  return { ...m, opsetImports: [...m.opsetImports, { domain: 'lowbit', version: 1 }] };
}

const feed = (s: Spec, seed: number) => ({
  xq: new Tensor(s.signed ? 'int8' : 'uint8', Array.from({ length: s.C * s.H * s.W }, (_, i) => ((i * 97 + seed * 31 + ((i * i) >> 3)) % 256) - (s.signed ? 128 : 0)), [1, s.C, s.H, s.W]),
});

describe('sink-maxpool-lookup', () => {
  it('rankTables: R orders the bytes as T orders their values, V[R[b]] = T[b]; NaN refused; both zeros only when sign-free', () => {
    fc.assert(fc.property(fc.array(fc.float({ noNaN: true, noDefaultInfinity: false }), { minLength: 256, maxLength: 256 }), (vals) => {
      const t = Float32Array.from(vals);
      const hasBoth = vals.some((v) => Object.is(v, -0)) && vals.some((v) => Object.is(v, 0));
      const r = rankTables(t, hasBoth);
      expect(r).toBeDefined();
      for (let a = 0; a < 256; a++) {
        expect(r!.values[r!.ranks[a]] === t[a]).toBe(true);
        for (const b of [0, 17, 255]) expect(Math.sign(r!.ranks[a] - r!.ranks[b])).toBe(t[a] === t[b] ? 0 : t[a] < t[b] ? -1 : 1);
      }
      if (hasBoth) expect(rankTables(t)).toBeUndefined();
    }), { numRuns: 40 });
    expect(rankTables(Float32Array.from({ length: 256 }, (_, k) => (k === 9 ? NaN : k)))).toBeUndefined();
  });

  it('applies: QLookup(R) -> MaxPool:u8 -> QLookup(V); verifies; bit-identical to the float pool on js and native (u8/i8, windows, strides, dilations)', async () => {
    const native = await loadBackends('auto');
    const hs = hardswishTable(140, 0.05);
    const noZero = Float32Array.from({ length: 256 }, (_, k) => Math.fround(Math.cos(k * 0.7) * 3 + (k === 0 ? 0 : 0.001)));
    const specs: Spec[] = [
      { C: 3, H: 6, W: 10, table: noZero },
      { C: 4, H: 7, W: 9, table: noZero, signed: true, pool: [intsAttr('kernel_shape', [3, 2]), intsAttr('strides', [1, 2]), intsAttr('dilations', [2, 1])] },
      { C: 5, H: 2, W: 96, table: hs, gap: true },
      { C: 2, H: 8, W: 8, table: hs, gap: true, signed: true, pool: [intsAttr('kernel_shape', [3, 3]), intsAttr('strides', [2, 2])] },
    ];
    for (const s of specs) {
      const m = model(s);
      const r = run(m);
      expect(r.modified).toBe(true);
      expect(verifyErrors(r.model)).toEqual([]);
      expect(ops(r.model).slice(0, 3)).toEqual(['lowbit.QLookup', 'MaxPool', 'lowbit.QLookup']);
      expect(run(r.model).modified).toBe(false); // the float table is now after the pool: nothing left to sink
      for (const backends of [[], native]) {
        for (const seed of [1, 2]) {
          const f = feed(s, seed);
          const want = Session.fromModel(m, { backends, graphOptimization: 'none' }).runSync(f);
          const got = Session.fromModel(r.model, { backends, graphOptimization: 'none' }).runSync(f);
          for (const k of Object.keys(want)) expect(bits(got[k]), k).toEqual(bits(want[k]));
        }
      }
    }
    for (const b of native) b.dispose?.();
  });

  it('does not apply (same model back): padding, ceil_mode, an Indices output, a NaN, both zeros read by other than GlobalAveragePool, the lookup read elsewhere', () => {
    const hs = hardswishTable(140, 0.05);
    const plain = Float32Array.from({ length: 256 }, (_, k) => k + 1);
    const cases: Spec[] = [
      { C: 1, H: 4, W: 4, table: plain, pool: [intsAttr('kernel_shape', [2, 2]), intsAttr('pads', [1, 1, 1, 1])] },
      { C: 1, H: 4, W: 4, table: plain, pool: [intsAttr('kernel_shape', [2, 2]), { name: 'auto_pad', type: 'string', value: 'SAME_UPPER' }] },
      { C: 1, H: 5, W: 5, table: plain, pool: [intsAttr('kernel_shape', [2, 2]), intsAttr('strides', [2, 2]), intAttr('ceil_mode', 1)] },
      { C: 1, H: 4, W: 4, table: plain, indices: true },
      { C: 1, H: 4, W: 4, table: Float32Array.from(plain, (v, k) => (k === 3 ? NaN : v)) },
      { C: 1, H: 4, W: 4, table: hs },
      { C: 1, H: 4, W: 4, table: plain, leakLookup: true },
    ];
    for (const [i, s] of cases.entries()) {
      const m = model(s);
      expect(run(m).model, `case ${i}`).toBe(m);
    }
  });
});
