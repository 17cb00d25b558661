import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createPassContext, PassManager, verifyErrors } from '@lowbit/onnx-ir';
import type { Model, PassResult } from '@lowbit/onnx-ir';
import { Tensor } from '@lowbit/kernels';
import { fuseQdqQLinear } from './fuse-qlinear.js';
import { f32, maxIntDiff, qdqConvModel, qdqGemmModel, runLevels, type QdqConvSpec } from './test-support/qdq-graphs.js';
import { OPTIMIZE_OPTIONS_KEY } from './support.js';

const run = (m: Model, options = {}) => fuseQdqQLinear.run(m, createPassContext({ options })) as PassResult;

const spec = (over: Partial<QdqConvSpec> = {}): QdqConvSpec => ({
  C: 2, M: 3, H: 4, W: 5, k: 3, xScale: 0.02, xZp: 128, xType: 'uint8',
  w: Int8Array.from({ length: 3 * 2 * 9 }, (_, i) => ((i * 37) % 255) - 127), wScale: Float32Array.of(0.01, 0.02, 0.005),
  bias: Int32Array.of(100, -2000, 5), yScale: 0.05, yZp: 0, yType: 'uint8', relu: true, ...over,
});

const input = (s: QdqConvSpec, seed: number) => new Tensor('float32', Float32Array.from({ length: s.C * s.H * s.W }, (_, i) => Math.sin(i * 0.7 + seed) * 2), [1, s.C, s.H, s.W]);

describe('fuse-qdq-qlinear', () => {
  it('applies: DQ, DQ, DQ(bias) -> Conv -> Relu -> Q becomes one QLinearConv; verifies; within 1 LSB of the literal graph', () => {
    const s = spec();
    const m = qdqConvModel(s);
    const r = run(m);
    expect(r.modified).toBe(true);
    expect(verifyErrors(r.model)).toEqual([]);
    const ops = r.model.graph.nodes.map((n) => n.opType);
    expect(ops).toContain('QLinearConv');
    expect(ops).not.toContain('Conv');
    expect(ops).not.toContain('Relu');
    const q = r.model.graph.nodes.find((n) => n.opType === 'QLinearConv')!;
    expect(q.inputs).toEqual(['xq', 'xs', 'xz', 'wq', 'ws', 'wz', 'ys', 'yz', 'bq']);
    const [lit, fused] = runLevels(m, { x: input(s, 1) }, ['none', 'all'], ['yq']);
    expect(maxIntDiff(lit.yq, fused.yq)).toBeLessThanOrEqual(1);
  });

  it('does not apply (same object back): Relu with y_zp above qmin, a kept intermediate, a graph-output intermediate', () => {
    const m = qdqConvModel(spec({ yZp: 10 }));
    expect(run(m).model).toBe(m);
    const m2 = qdqConvModel(spec());
    expect(run(m2, { [OPTIMIZE_OPTIONS_KEY]: { keep: (n: string) => n === 'c' } }).model).toBe(m2);
    const m3: Model = { ...m2, graph: { ...m2.graph, outputs: [...m2.graph.outputs, { name: 'r', type: undefined }] } };
    expect(run(m3).model).toBe(m3);
  });

  it('does not apply when the fused kernel would rank below the float one (rank guard)', () => {
    const m = qdqConvModel(spec());
    const rank = (key: string) => (key.startsWith('Conv:') ? 5 : 0);
    expect(run(m, { [OPTIMIZE_OPTIONS_KEY]: { rank } }).model).toBe(m);
  });

  it('running twice changes nothing; the PassManager (with verification) agrees', async () => {
    const once = run(qdqConvModel(spec())).model;
    expect(run(once).model).toBe(once);
    const pm = await new PassManager([fuseQdqQLinear], { verify: true }).run(qdqConvModel(spec()), createPassContext());
    expect(pm.model.graph.nodes.map((n) => n.opType)).toEqual(once.graph.nodes.map((n) => n.opType));
  });

  it('a bias at another scale is requantized to x_s * w_s (still within 1 LSB)', () => {
    const s = spec({ relu: false, yZp: 128 });
    const m = qdqConvModel(s);
    const scaled: Model = { ...m, graph: { ...m.graph, initializers: m.graph.initializers.map((t) => (t.name === 'bs' ? f32('bs', [3], [0.0003, 0.0001, 0.0002]) : t)) } };
    const r = run(scaled);
    const q = r.model.graph.nodes.find((n) => n.opType === 'QLinearConv')!;
    expect(q.inputs[8]).not.toBe('bq');
    const [lit, fused] = runLevels(scaled, { x: input(s, 2) }, ['none', 'all'], ['yq']);
    expect(maxIntDiff(lit.yq, fused.yq)).toBeLessThanOrEqual(1);
  });

  it('property: fused QLinearConv is within 1 output quantization step of the literal QDQ graph', () => {
    const arb = fc.record({
      C: fc.integer({ min: 1, max: 3 }), M: fc.integer({ min: 1, max: 3 }), hw: fc.integer({ min: 1, max: 5 }), k: fc.constantFrom(1, 3),
      xScale: fc.float({ min: Math.fround(1e-3), max: Math.fround(0.1), noNaN: true }), xZp: fc.integer({ min: 0, max: 255 }), signedX: fc.boolean(),
      wSeed: fc.integer(), perChannel: fc.boolean(), bias: fc.boolean(), relu: fc.boolean(), signedY: fc.boolean(),
      yScale: fc.float({ min: Math.fround(1e-3), max: Math.fround(0.5), noNaN: true }), yZp: fc.integer({ min: 0, max: 255 }), seed: fc.integer({ min: 0, max: 1000 }),
    });
    fc.assert(fc.property(arb, (a) => {
      const n = a.M * a.C * a.k * a.k;
      const w = Int8Array.from({ length: n }, (_, i) => ((a.wSeed + i * 7919) % 255 + 255) % 255 - 127);
      const wScale = a.perChannel ? Float32Array.from({ length: a.M }, (_, m) => 0.003 * (m + 1)) : Float32Array.of(0.004);
      const xType = a.signedX ? 'int8' : 'uint8';
      const yType = a.signedY ? 'int8' : 'uint8';
      const s: QdqConvSpec = {
        C: a.C, M: a.M, H: a.hw, W: a.hw + 1, k: a.k, xScale: a.xScale, xZp: a.signedX ? a.xZp - 128 : a.xZp, xType, w, wScale,
        ...(a.bias ? { bias: Int32Array.from({ length: a.M }, (_, m) => (m - 1) * 777) } : {}),
        yScale: a.yScale, yZp: a.relu ? (a.signedY ? -128 : 0) : (a.signedY ? a.yZp - 128 : a.yZp), yType, relu: a.relu,
      };
      const m = qdqConvModel(s);
      const [lit, fused] = runLevels(m, { x: input(s, a.seed) }, ['none', 'all'], ['yq']);
      expect(maxIntDiff(lit.yq, fused.yq)).toBeLessThanOrEqual(1);
    }), { numRuns: 60 });
  });

  it('Gemm: the QDQ group becomes lowbit.QGemm (transB, per-column, bias, Relu), within 1 LSB; property over shapes', () => {
    const arb = fc.record({
      M: fc.integer({ min: 1, max: 3 }), K: fc.integer({ min: 1, max: 6 }), N: fc.integer({ min: 1, max: 4 }), transB: fc.boolean(),
      perColumn: fc.boolean(), bias: fc.boolean(), relu: fc.boolean(), seed: fc.integer({ min: 0, max: 1e5 }), yZp: fc.integer({ min: 0, max: 255 }),
    });
    fc.assert(fc.property(arb, (a) => {
      const w = Int8Array.from({ length: a.K * a.N }, (_, i) => ((a.seed + i * 7919) % 255) - 127);
      const wScale = a.perColumn ? Float32Array.from({ length: a.N }, (_, j) => 0.002 * (j + 1)) : Float32Array.of(0.003);
      const m = qdqGemmModel({ M: a.M, K: a.K, N: a.N, transB: a.transB, xScale: 0.02, xZp: 100, w, wScale, ...(a.bias ? { bias: Int32Array.from({ length: a.N }, (_, j) => (j - 1) * 555) } : {}), yScale: 0.03, yZp: a.relu ? 0 : a.yZp, relu: a.relu });
      const r = run(m);
      const q = r.model.graph.nodes.find((n) => n.opType === 'QGemm');
      expect(q?.domain).toBe('lowbit');
      expect(verifyErrors(r.model)).toEqual([]);
      const x = new Tensor('float32', Float32Array.from({ length: a.M * a.K }, (_, i) => Math.sin(i + a.seed) * 2), [a.M, a.K]);
      const [lit, fused] = runLevels(m, { x }, ['none', 'all'], ['yq']);
      expect(maxIntDiff(lit.yq, fused.yq)).toBeLessThanOrEqual(1);
    }), { numRuns: 60 });
  });

  it('Gemm with alpha != 1 or transA is left alone', () => {
    const m = qdqGemmModel({ M: 2, K: 3, N: 2, transB: false, xScale: 0.02, xZp: 100, w: Int8Array.of(1, 2, 3, 4, 5, 6), wScale: Float32Array.of(0.01), yScale: 0.03, yZp: 128 });
    const alpha: Model = { ...m, graph: { ...m.graph, nodes: m.graph.nodes.map((n) => (n.opType === 'Gemm' ? { ...n, attributes: [...n.attributes, { name: 'alpha', type: 'float', value: 2 }] } : n)) } };
    expect(run(alpha).model).toBe(alpha);
  });
});
