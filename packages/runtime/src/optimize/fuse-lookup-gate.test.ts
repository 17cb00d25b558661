import { describe, expect, it } from 'vitest';
import { createPassContext, DataType, verifyErrors, tensorFromValues } from '@lowbit/onnx-ir';
import type { Model, PassResult } from '@lowbit/onnx-ir';
import { mkGraph, mkModel, mkNode } from '@lowbit/testing';
import { Tensor } from '@lowbit/kernels';
import { loadBackends } from '../backend.js';
import { Session } from '../session.js';
import { fuseLookupGate } from './fuse-lookup-gate.js';
import { fuseQuantizedLookup } from './fuse-lookup.js';
import { f32, tensorVi } from './test-support/qdq-graphs.js';

const run = (m: Model) => fuseLookupGate.run(m, createPassContext({})) as PassResult;
const ops = (m: Model) => m.graph.nodes.map((n) => `${n.domain ? `${n.domain}.` : ''}${n.opType}`);
const bits = (t: Tensor) => Array.from(new Uint8Array((t.data as Uint8Array).buffer, (t.data as Uint8Array).byteOffset, (t.data as Uint8Array).byteLength));

/**
 * A squeeze-excite tail: xq [1, C, H, W] -> a (DequantizeLinear, or HardSwish through fuse-quantized-lookup's float
 * table) -> GlobalAveragePool (output `pooled`) and Mul(a, gate) -> QuantizeLinear -> y.
 */
function seModel(C: number, H: number, W: number, opts: { signed?: boolean; hardswish?: boolean; leakMul?: boolean } = {}): Model {
  const q8 = opts.signed ? DataType.INT8 : DataType.UINT8;
  const zp = (name: string, v: number) => tensorFromValues(name, q8, [], opts.signed ? Int8Array.of(v - 128) : Uint8Array.of(v));
  const nodes = [mkNode('DequantizeLinear', ['xq', 'sx', 'zx'], [opts.hardswish ? 'x' : 'a'], { name: 'dq' })];
  if (opts.hardswish) nodes.push(mkNode('HardSwish', ['x'], ['a'], { name: 'hs' }));
  nodes.push(
    mkNode('GlobalAveragePool', ['a'], ['pooled'], { name: 'gap' }),
    mkNode('Mul', ['a', 'gate'], ['m'], { name: 'mul' }),
    mkNode('QuantizeLinear', ['m', 'sy', 'zy'], ['y'], { name: 'q' }),
  );
  return mkModel(mkGraph({
    inputs: [tensorVi('xq', q8, [1, C, H, W]), tensorVi('gate', DataType.FLOAT, [1, C, 1, 1])],
    outputs: ['pooled', 'y', ...(opts.leakMul ? ['m'] : [])],
    initializers: [f32('sx', [], [0.047]), zp('zx', 120), f32('sy', [], [0.031]), zp('zy', 7)],
    nodes,
  }), { opset: 19 });
}

const feeds = (C: number, H: number, W: number, signed?: boolean) => ({
  xq: new Tensor(signed ? 'int8' : 'uint8', Array.from({ length: C * H * W }, (_, i) => ((i * 97 + 13) % 256) - (signed ? 128 : 0)), [1, C, H, W]),
  gate: new Tensor('float32', Float32Array.from({ length: C }, (_, c) => (c % 4 === 3 ? -0 : Math.sin(c * 1.3) * 2)), [1, C, 1, 1]),
});

describe('fuse-lookup-gate', () => {
  it('DequantizeLinear and float-table sources: the pool and the Mul -> QuantizeLinear become lowbit ops; verifies; same results as unfused on js and native', async () => {
    const native = await loadBackends('auto');
    for (const [C, H, W, o] of [[3, 5, 7, {}], [4, 16, 20, { signed: true }], [2, 3, 3, { hardswish: true }], [5, 48, 50, { hardswish: true, signed: true }]] as const) {
      const m = seModel(C, H, W, o);
      if (!o.hardswish) {
        const r = run(m);
        expect(r.modified).toBe(true);
        expect(verifyErrors(r.model)).toEqual([]);
        expect(ops(r.model)).toEqual(['DequantizeLinear', 'lowbit.QLookupGlobalAveragePool', 'lowbit.QLookupMulQuantize']);
      }
      const f = feeds(C, H, W, o.signed);
      for (const backends of [[], native]) {
        const none = Session.fromModel(m, { backends, graphOptimization: 'none' }).runSync(f);
        // The float lookup first (fuse-quantized-lookup), then this pass, then the rest of 'all'.
        const pre = o.hardswish ? (fuseQuantizedLookup.run(m, createPassContext({})) as PassResult).model : m;
        const fusedModel = run(pre).model;
        expect(ops(fusedModel)).toContain('lowbit.QLookupMulQuantize');
        expect(ops(fusedModel)).toContain('lowbit.QLookupGlobalAveragePool');
        expect(ops(fusedModel)).not.toContain('Mul');
        const got = Session.fromModel(fusedModel, { backends, graphOptimization: 'all' }).runSync(f);
        expect(bits(got.y)).toEqual(bits(none.y));
        expect(Array.from(got.pooled.data as Float32Array)).toEqual(Array.from(none.pooled.data as Float32Array));
      }
    }
    for (const b of native) b.dispose?.();
  });

  it('does not fuse the Mul whose product is a graph output (the pool still fuses); a constant gate is left alone', () => {
    const leak = run(seModel(2, 3, 3, { leakMul: true }));
    expect(ops(leak.model)).toEqual(['DequantizeLinear', 'lowbit.QLookupGlobalAveragePool', 'Mul', 'QuantizeLinear']);
    const m = seModel(2, 3, 3);
    const constGate = { ...m, graph: { ...m.graph, inputs: m.graph.inputs.filter((v) => v.name !== 'gate'), nodes: m.graph.nodes.filter((n) => n.opType !== 'GlobalAveragePool'), outputs: m.graph.outputs.filter((o) => o.name !== 'pooled'), initializers: [...m.graph.initializers, f32('gate', [1, 2, 1, 1], [0.5, 2])] } };
    expect(run(constGate).model).toBe(constGate);
  });

  it('folds the squeeze QuantizeLinear into the pool and a float-table gate lookup into the scale; bit-identical on js and native; twice changes nothing', async () => {
    const native = await loadBackends('auto');
    for (const signed of [false, true]) {
      const q8 = signed ? DataType.INT8 : DataType.UINT8;
      const zp = (name: string, v: number) => tensorFromValues(name, q8, [], signed ? Int8Array.of(v - 128) : Uint8Array.of(v));
      const C = 6;
      // xq -> DQ -> a; GAP(a) -> Q -> pooled_q (output); gq -> QLookup(G) -> gate; Mul(a, gate) -> Q -> y
      const m = mkModel(mkGraph({
        inputs: [tensorVi('xq', q8, [1, C, 9, 11]), tensorVi('gq', q8, [1, C, 1, 1])],
        outputs: ['pooled_q', 'y'],
        initializers: [f32('sx', [], [0.047]), zp('zx', 120), f32('sp', [], [0.02]), zp('zp_', 130), f32('sy', [], [0.031]), zp('zy', 7),
          tensorFromValues('G', DataType.FLOAT, [256], Float32Array.from({ length: 256 }, (_, k) => Math.fround(Math.min(Math.max(k / 200 - 0.1, 0), 1))))],
        nodes: [
          mkNode('DequantizeLinear', ['xq', 'sx', 'zx'], ['a'], { name: 'dq' }),
          mkNode('GlobalAveragePool', ['a'], ['pooled'], { name: 'gap' }),
          mkNode('QuantizeLinear', ['pooled', 'sp', 'zp_'], ['pooled_q'], { name: 'qp' }),
          mkNode('QLookup', ['gq', 'G'], ['gate'], { name: 'hsig', domain: 'lowbit' }),
          mkNode('Mul', ['a', 'gate'], ['m'], { name: 'mul' }),
          mkNode('QuantizeLinear', ['m', 'sy', 'zy'], ['y'], { name: 'q' }),
        ],
      }), { opset: 19 });
      const model = { ...m, opsetImports: [...m.opsetImports, { domain: 'lowbit', version: 1 }] };
      const r = run(model);
      expect(r.modified).toBe(true);
      expect(verifyErrors(r.model)).toEqual([]);
      expect(ops(r.model)).toEqual(['DequantizeLinear', 'lowbit.QLookupGlobalAveragePool', 'lowbit.QLookupMulQuantize']); // the DequantizeLinear, now unread, is dead code
      const pool = r.model.graph.nodes.find((n) => n.opType === 'QLookupGlobalAveragePool')!;
      expect(pool.inputs.slice(2)).toEqual(['sp', 'zp_']);
      expect(pool.outputs).toEqual(['pooled_q']);
      const scale = r.model.graph.nodes.find((n) => n.opType === 'QLookupMulQuantize')!;
      expect([scale.inputs[2], scale.inputs[5]]).toEqual(['gq', 'G']);
      expect(run(r.model).model).toBe(r.model);
      const f = {
        xq: new Tensor(signed ? 'int8' : 'uint8', Array.from({ length: C * 99 }, (_, i) => ((i * 97 + 13) % 256) - (signed ? 128 : 0)), [1, C, 9, 11]),
        gq: new Tensor(signed ? 'int8' : 'uint8', Array.from({ length: C }, (_, i) => ((i * 53 + 200) % 256) - (signed ? 128 : 0)), [1, C, 1, 1]),
      };
      for (const backends of [[], native]) {
        const want = Session.fromModel(model, { backends, graphOptimization: 'none' }).runSync(f);
        const got = Session.fromModel(r.model, { backends, graphOptimization: 'none' }).runSync(f);
        for (const k of ['pooled_q', 'y']) expect(bits(got[k]), k).toEqual(bits(want[k]));
      }
    }
    for (const b of native) b.dispose?.();
  });
});
