import { describe, expect, it } from 'vitest';
import { createPassContext, DataType, verifyErrors } from '@lowbit/onnx-ir';
import type { Model, PassResult } from '@lowbit/onnx-ir';
import { mkGraph, mkModel, mkNode } from '@lowbit/testing';
import { Tensor } from '@lowbit/kernels';
import { loadBackends } from '../backend.js';
import { Session } from '../session.js';
import { sinkTransposeQuantize } from './sink-transpose-quantize.js';
import { OPTIMIZE_OPTIONS_KEY } from './support.js';
import { f32, i8, intsAttr, runLevels, tensorVi, u8 } from './test-support/qdq-graphs.js';

const run = (m: Model, options = {}) => sinkTransposeQuantize.run(m, createPassContext({ options })) as PassResult;
const DIMS = [1, 5, 3, 4];
const PERM = [0, 2, 1, 3];

/** x -> Transpose -> QuantizeLinear(s, zp) -> DequantizeLinear -> y (static), or -> DynamicQuantizeLinear (dynamic). */
function model(kind: 'static' | 'dynamic', o: { signed?: boolean; perAxis?: boolean; leak?: boolean } = {}): Model {
  const zp = o.signed ? i8('zp', o.perAxis ? [3] : [], o.perAxis ? [1, -2, 3] : [-3]) : u8('zp', o.perAxis ? [3] : [], o.perAxis ? [120, 128, 131] : [127]);
  const inits = kind === 'static' ? [f32('s', o.perAxis ? [3] : [], o.perAxis ? [0.02, 0.03, 0.05] : [0.0375]), zp] : [];
  const nodes = [
    mkNode('Transpose', ['x'], ['xt'], { name: 'split', attributes: [intsAttr('perm', PERM)] }),
    ...(kind === 'static'
      ? [mkNode('QuantizeLinear', ['xt', 's', 'zp'], ['q'], { name: 'quant', ...(o.perAxis ? { attributes: [{ type: 'int' as const, name: 'axis', value: 1n }] } : {}) }),
        mkNode('DequantizeLinear', ['q', 's', 'zp'], ['y'], { name: 'dequant', ...(o.perAxis ? { attributes: [{ type: 'int' as const, name: 'axis', value: 1n }] } : {}) })]
      : [mkNode('DynamicQuantizeLinear', ['xt'], ['q', 'qs', 'qz'], { name: 'dql' })]),
  ];
  const qType = o.signed ? DataType.INT8 : DataType.UINT8;
  const qDims = PERM.map((p) => DIMS[p]);
  const outputs = kind === 'static' ? [tensorVi('q', qType, qDims), tensorVi('y', DataType.FLOAT, qDims)] : [tensorVi('q', DataType.UINT8, qDims), tensorVi('qs', DataType.FLOAT, []), tensorVi('qz', DataType.UINT8, [])];
  return mkModel(mkGraph({ inputs: [tensorVi('x', DataType.FLOAT, DIMS)], outputs: [...outputs, ...(o.leak ? [tensorVi('xt', DataType.FLOAT, qDims)] : [])], initializers: inits, nodes }), { opset: 13 });
}

const x = new Tensor('float32', Float32Array.from({ length: 60 }, (_, i) => Math.sin(i * 0.77) * 5 - 0.4), DIMS);
const same = (a: Record<string, Tensor>, b: Record<string, Tensor>) => {
  for (const k of Object.keys(a)) {
    expect(b[k].dims, k).toEqual(a[k].dims);
    expect(Array.from(b[k].data as ArrayLike<number>), k).toEqual(Array.from(a[k].data as ArrayLike<number>));
  }
};

describe('sink-transpose-quantize', () => {
  it('moves a float Transpose below a per-tensor QuantizeLinear / DynamicQuantizeLinear; verifies; same outputs', () => {
    for (const [kind, o] of [['static', {}], ['static', { signed: true }], ['dynamic', {}]] as const) {
      const m = model(kind, o);
      const r = run(m);
      expect(r.modified).toBe(true);
      expect(verifyErrors(r.model)).toEqual([]);
      const ops = r.model.graph.nodes.map((n) => n.opType);
      expect(ops.slice(0, 2)).toEqual([kind === 'static' ? 'QuantizeLinear' : 'DynamicQuantizeLinear', 'Transpose']);
      expect(r.model.graph.nodes[0].inputs[0]).toBe('x');
      expect(r.model.graph.nodes[1].outputs).toEqual(['q']);
      const [a, b] = runLevels(m, { x }, ['none', 'all']);
      same(a, b);
    }
  });

  it('leaves per-axis quantizers, observable and kept transposed values alone (identity rule)', () => {
    const perAxis = model('static', { perAxis: true });
    expect(run(perAxis).model).toBe(perAxis);
    const leaked = model('dynamic', { leak: true });
    expect(run(leaked).model).toBe(leaked);
    const kept = model('static');
    expect(run(kept, { [OPTIMIZE_OPTIONS_KEY]: { keep: (n: string) => n === 'xt' } }).model).toBe(kept);
    const m = model('dynamic');
    expect(run(m, { [OPTIMIZE_OPTIONS_KEY]: { rank: (k: string) => (k === 'Transpose:f32' ? 2 : k.startsWith('Transpose:') ? 1 : undefined) } }).model).toBe(m);
  });

  it('native backend: same outputs at all and none', async () => {
    const [native] = await loadBackends('native', { threads: 1 });
    if (!native?.ready) return expect(native?.diagnostics.join(' ')).toMatch(/./);
    for (const [kind, o] of [['static', {}], ['static', { signed: true }], ['dynamic', {}]] as const) {
      const m = model(kind, o);
      const [all, none] = (['all', 'none'] as const).map((l) => Session.fromModel(m, { backend: 'native', backends: [native], graphOptimization: l }));
      expect(all.optimization.opsAfter.Transpose).toBe(1);
      same(none.runSync({ x }), all.runSync({ x }));
    }
    native.dispose?.();
  });
});
