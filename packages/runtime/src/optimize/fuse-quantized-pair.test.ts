import { describe, expect, it } from 'vitest';
import { createPassContext, DataType, tensorFromValues, verifyErrors } from '@lowbit/onnx-ir';
import type { Model, PassResult } from '@lowbit/onnx-ir';
import { mkGraph, mkModel, mkNode } from '@lowbit/testing';
import { Tensor } from '@lowbit/kernels';
import { loadBackends } from '../backend.js';
import { Session } from '../session.js';
import { fuseQuantizedPair } from './fuse-quantized-pair.js';
import { f32, intAttr, tensorVi } from './test-support/qdq-graphs.js';

const run = (m: Model) => fuseQuantizedPair.run(m, createPassContext({})) as PassResult;
const ops = (m: Model) => m.graph.nodes.map((n) => `${n.domain ? `${n.domain}.` : ''}${n.opType}`);
const bits = (t: Tensor) => Array.from(new Uint8Array((t.data as Uint8Array).buffer, (t.data as Uint8Array).byteOffset, (t.data as Uint8Array).byteLength));

interface Spec { op: string; aSigned?: boolean; bSigned?: boolean; ySigned?: boolean; bDims?: number[]; leak?: boolean; perAxisB?: boolean; constB?: boolean }

/** aq [1, 4, 5, 6], bq -> DequantizeLinear each -> op -> QuantizeLinear -> y (the residual Add of a QDQ model). */
function model(s: Spec): Model {
  const t8 = (signed?: boolean) => (signed ? DataType.INT8 : DataType.UINT8);
  const zp = (name: string, signed: boolean | undefined, v: number, n = 1) => tensorFromValues(name, t8(signed), n === 1 ? [] : [n], signed ? Int8Array.from({ length: n }, () => v - 128) : Uint8Array.from({ length: n }, () => v));
  const bDims = s.bDims ?? [1, 4, 5, 6];
  const bq = s.constB ? [tensorFromValues('bq', t8(s.bSigned), bDims, new Uint8Array(bDims.reduce((a, b) => a * b, 1)).fill(7))] : [];
  return mkModel(mkGraph({
    inputs: [tensorVi('aq', t8(s.aSigned), [1, 4, 5, 6]), ...(s.constB ? [] : [tensorVi('bq', t8(s.bSigned), bDims)])],
    outputs: ['y', ...(s.leak ? ['r'] : [])],
    initializers: [f32('sa', [], [0.043]), zp('za', s.aSigned, 131), s.perAxisB ? f32('sb', [4], [0.02, 0.03, 0.04, 0.05]) : f32('sb', [], [0.027]), zp('zb', s.bSigned, 90, s.perAxisB ? 4 : 1),
      f32('sy', [], [0.061]), zp('zy', s.ySigned, 120), ...bq],
    nodes: [
      mkNode('DequantizeLinear', ['aq', 'sa', 'za'], ['a'], { name: 'dqa' }),
      mkNode('DequantizeLinear', ['bq', 'sb', 'zb'], ['b'], { name: 'dqb', ...(s.perAxisB ? { attributes: [intAttr('axis', 1)] } : {}) }),
      mkNode(s.op, ['a', 'b'], ['r'], { name: 'op' }),
      mkNode('QuantizeLinear', ['r', 'sy', 'zy'], ['y'], { name: 'q' }),
    ],
  }), { opset: 19 });
}

const feeds = (s: Spec, seed: number) => {
  const bDims = s.bDims ?? [1, 4, 5, 6];
  const bytes = (n: number, signed: boolean | undefined, k: number) => Array.from({ length: n }, (_, i) => ((i * k + seed * 71 + ((i * i) >> 2)) % 256) - (signed ? 128 : 0));
  return {
    aq: new Tensor(s.aSigned ? 'int8' : 'uint8', bytes(120, s.aSigned, 97), [1, 4, 5, 6]),
    ...(s.constB ? {} : { bq: new Tensor(s.bSigned ? 'int8' : 'uint8', bytes(bDims.reduce((a, b) => a * b, 1), s.bSigned, 53), bDims) }),
  };
};

describe('fuse-quantized-pair', () => {
  it('applies: DQ, DQ -> op -> Q becomes lowbit.QLookup2; verifies; bit-identical to the unfused graph on js and native; twice changes nothing', async () => {
    const native = await loadBackends('auto');
    const specs: Spec[] = [
      { op: 'Add' }, { op: 'Add', aSigned: true, ySigned: true }, { op: 'Sub', bSigned: true }, { op: 'Mul', ySigned: true },
      { op: 'Div', aSigned: true }, { op: 'Max' }, { op: 'Min', bSigned: true, ySigned: true }, { op: 'Add', bDims: [1, 4, 1, 1] },
    ];
    for (const s of specs) {
      const m = model(s);
      const r = run(m);
      expect(r.modified, s.op).toBe(true);
      expect(verifyErrors(r.model)).toEqual([]);
      expect(ops(r.model)).toEqual(['DequantizeLinear', 'DequantizeLinear', 'lowbit.QLookup2']); // the DQs, unread, are dead code
      expect(run(r.model).model).toBe(r.model);
      for (const backends of [[], native]) {
        for (const seed of [1, 2, 3]) {
          const f = feeds(s, seed);
          const want = Session.fromModel(m, { backends, graphOptimization: 'none' }).runSync(f);
          const got = Session.fromModel(r.model, { backends, graphOptimization: 'none' }).runSync(f);
          expect(bits(got.y), JSON.stringify(s)).toEqual(bits(want.y));
        }
      }
    }
    for (const b of native) b.dispose?.();
  });

  it('does not apply (same model back): the op result read elsewhere, a per-axis DequantizeLinear, a constant operand, a non-binary op', () => {
    for (const s of [{ op: 'Add', leak: true }, { op: 'Add', perAxisB: true }, { op: 'Add', constB: true }, { op: 'Pow' }] as Spec[]) {
      const m = model(s);
      expect(run(m).model, JSON.stringify(s)).toBe(m);
    }
  });
});
