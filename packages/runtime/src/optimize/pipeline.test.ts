import { describe, expect, it } from 'vitest';
import { createPassContext, verifyErrors } from '@lowbit/onnx-ir';
import { Tensor } from '@lowbit/kernels';
import { Session } from '../session.js';
import { SessionOptionError } from '../errors.js';
import { optimizeForSession, optimizeModel } from './pipeline.js';
import { maxIntDiff, qdqConvModel, type QdqConvSpec } from './test-support/qdq-graphs.js';

const spec: QdqConvSpec = {
  C: 2, M: 2, H: 3, W: 3, k: 3, xScale: 0.02, xZp: 128, xType: 'uint8',
  w: Int8Array.from({ length: 36 }, (_, i) => ((i * 37) % 255) - 127), wScale: Float32Array.of(0.01, 0.02),
  bias: Int32Array.of(100, -200), yScale: 0.05, yZp: 0, yType: 'uint8', relu: true,
};
const m = qdqConvModel(spec);
const x = new Tensor('float32', Float32Array.from({ length: 18 }, (_, i) => Math.sin(i) * 2), [1, 2, 3, 3]);

describe('graph optimisation levels and kept names (Session)', () => {
  it("default is 'all': the QDQ group runs as QLinearConv; 'basic' only folds constant DQs; 'none' keeps the graph", () => {
    const all = Session.fromModel(m);
    expect(all.optimization.level).toBe('all');
    expect(all.optimization.nodesBefore).toBe(8);
    expect(all.optimization.opsAfter).toEqual({ QuantizeLinear: 1, QLinearConv: 1, DequantizeLinear: 1 });
    const basic = Session.fromModel(m, { graphOptimization: 'basic' });
    expect(basic.optimization.opsAfter).toEqual({ QuantizeLinear: 2, DequantizeLinear: 2, Conv: 1, Relu: 1 });
    const none = Session.fromModel(m, { graphOptimization: 'none' });
    expect(none.optimization.nodesAfter).toBe(8);
    expect(none.optimization.passes).toEqual([]);
    const [a, b, c] = [none, basic, all].map((s) => s.runSync({ x }, { fetches: ['yq'] }).yq);
    expect(Array.from(b.data as Uint8Array)).toEqual(Array.from(a.data as Uint8Array));
    expect(maxIntDiff(a, c)).toBeLessThanOrEqual(1);
    // the session's model is the caller's model, unchanged
    expect(all.model).toBe(m);
  });

  it('a fused-away name cannot be fetched at all, unless kept; keep leaves the group unfused and the name observable', () => {
    expect(() => Session.fromModel(m).runSync({ x }, { fetches: ['c'] })).toThrow(SessionOptionError);
    const kept = Session.fromModel(m, { keep: ['c'] });
    expect(kept.optimization.opsAfter.Conv).toBe(1);
    const lit = Session.fromModel(m, { graphOptimization: 'none' }).runSync({ x }, { fetches: ['c'] }).c;
    const got = kept.runSync({ x }, { fetches: ['c'] }).c;
    expect(Array.from(got.data as Float32Array)).toEqual(Array.from(lit.data as Float32Array));
    // kept names are not added to the session's outputs
    expect(kept.outputNames).toEqual(['y']);
    expect(Object.keys(kept.runSync({ x }))).toEqual(['y']);
  });

  it('onValue with observe keeps the observed names; onValue without observe watches everything (no optimisation)', () => {
    const seen: string[] = [];
    const s = Session.fromModel(m, { onValue: (n) => seen.push(n), observe: ['r'] });
    s.runSync({ x });
    expect(seen).toEqual(['r']);
    const all: string[] = [];
    const w = Session.fromModel(m, { onValue: (n) => all.push(n) });
    expect(w.optimization.level).toBe('none');
    w.runSync({ x });
    expect(all).toEqual(expect.arrayContaining(['xd', 'wd', 'bd', 'c', 'r', 'yq', 'y']));
  });

  it('an unknown level is a SessionOptionError naming the option', () => {
    expect(() => Session.fromModel(m, { graphOptimization: 'max' as never })).toThrow(/graphOptimization/);
  });

  it('optimizeModel (PassManager, verified) gives the same graph as the session path, and keeps nothing extra', async () => {
    const viaPm = await optimizeModel(m, { level: 'all', keepNames: ['r'] }, createPassContext({ verify: true }));
    const sync = optimizeForSession(m, { level: 'all', keepNames: ['r'] }).model;
    expect(verifyErrors(viaPm)).toEqual([]);
    expect(viaPm.graph.nodes.map((n) => `${n.opType}(${n.inputs.join(',')})`)).toEqual(sync.graph.nodes.map((n) => `${n.opType}(${n.inputs.join(',')})`));
    expect(viaPm.graph.outputs.map((o) => o.name)).toEqual(['y']);
    expect(await optimizeModel(m, { level: 'none' })).toBe(m);
  });

  it('running the whole pipeline twice changes nothing', () => {
    const once = optimizeForSession(m).model;
    expect(optimizeForSession(once).model).toBe(once);
  });
});
