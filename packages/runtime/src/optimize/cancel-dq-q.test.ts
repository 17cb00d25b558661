import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createPassContext, DataType, tensorFromValues, verifyErrors } from '@lowbit/onnx-ir';
import type { Model, PassResult, TensorRef } from '@lowbit/onnx-ir';
import { mkGraph, mkModel, mkNode } from '@lowbit/testing';
import { Tensor } from '@lowbit/kernels';
import { cancelDequantizeQuantize } from './cancel-dq-q.js';
import { f32, runLevels, tensorVi, u8 } from './test-support/qdq-graphs.js';

const run = (m: Model) => cancelDequantizeQuantize.run(m, createPassContext()) as PassResult;

/** x (quantized input) -> DQ(s1, z1) -> Q(s2, z2) -> Relu-free consumer Identity -> y */
function model(s1: TensorRef, z1: TensorRef, s2: TensorRef, z2: TensorRef, xType: DataType, dims: number[]): Model {
  return mkModel(mkGraph({
    inputs: [tensorVi('x', xType, dims)], outputs: [tensorVi('y', xType, dims)],
    initializers: [s1, z1, ...(s2.name !== s1.name ? [s2] : []), ...(z2.name !== z1.name ? [z2] : [])],
    nodes: [
      mkNode('DequantizeLinear', ['x', s1.name, z1.name], ['d'], { name: 'dq' }),
      mkNode('QuantizeLinear', ['d', s2.name, z2.name], ['q'], { name: 'q' }),
      mkNode('Identity', ['q'], ['y'], { name: 'id' }),
    ],
  }), { opset: 21 });
}

describe('cancel-dequantize-quantize', () => {
  it('applies: Q(DQ(x)) with the same parameters reads x; verifies; bit-identical to the literal graph', () => {
    const m = model(f32('s', [], [0.1]), u8('z', [], [128]), f32('s', [], [0.1]), u8('z', [], [128]), DataType.UINT8, [4]);
    const r = run(m);
    expect(r.modified).toBe(true);
    expect(verifyErrors(r.model)).toEqual([]);
    expect(r.model.graph.nodes.find((n) => n.opType === 'Identity')!.inputs).toEqual(['x']);
    const x = new Tensor('uint8', [0, 127, 200, 255], [4]);
    const [a, b] = runLevels(m, { x }, ['none', 'basic']);
    expect(Array.from(b.y.data as Uint8Array)).toEqual(Array.from(a.y.data as Uint8Array));
  });

  it('applies with equal parameters under different names', () => {
    const m = model(f32('s1', [], [0.25]), u8('z1', [], [3]), f32('s2', [], [0.25]), u8('z2', [], [3]), DataType.UINT8, [2]);
    expect(run(m).modified).toBe(true);
  });

  it('does not apply (same object back): other scale, other zero point, Q output a graph output, Q(DQ) of activations', () => {
    for (const m of [
      model(f32('s1', [], [0.1]), u8('z1', [], [128]), f32('s2', [], [0.2]), u8('z2', [], [128]), DataType.UINT8, [4]),
      model(f32('s1', [], [0.1]), u8('z1', [], [128]), f32('s2', [], [0.1]), u8('z2', [], [127]), DataType.UINT8, [4]),
    ]) expect(run(m).model).toBe(m);
    const base = model(f32('s', [], [0.1]), u8('z', [], [128]), f32('s', [], [0.1]), u8('z', [], [128]), DataType.UINT8, [4]);
    const atOutput: Model = { ...base, graph: { ...base.graph, outputs: [...base.graph.outputs, { name: 'q', type: undefined }] } };
    expect(run(atOutput).model).toBe(atOutput);
    // DQ(Q(x)) is a rounding, never removed
    const roundTrip = mkModel(mkGraph({ inputs: ['x'], outputs: ['y'], initializers: [f32('s', [], [0.1]), u8('z', [], [1])], nodes: [
      mkNode('QuantizeLinear', ['x', 's', 'z'], ['q']), mkNode('DequantizeLinear', ['q', 's', 'z'], ['y'])] }));
    expect(run(roundTrip).model).toBe(roundTrip);
  });

  it('running twice changes nothing', () => {
    const once = run(model(f32('s', [], [0.1]), u8('z', [], [128]), f32('s', [], [0.1]), u8('z', [], [128]), DataType.UINT8, [4])).model;
    expect(run(once).model).toBe(once);
  });

  it('property (the law the pass relies on): Q(DQ(x)) == x exactly for 8/16-bit x, any normal scale, per-tensor and per-axis', () => {
    const types = [
      { dt: DataType.UINT8, name: 'uint8' as const, lo: 0, hi: 255, arr: Uint8Array },
      { dt: DataType.INT8, name: 'int8' as const, lo: -128, hi: 127, arr: Int8Array },
      { dt: DataType.UINT16, name: 'uint16' as const, lo: 0, hi: 65535, arr: Uint16Array },
      { dt: DataType.INT16, name: 'int16' as const, lo: -32768, hi: 32767, arr: Int16Array },
    ];
    const scale = fc.float({ min: Math.fround(2 ** -100), max: Math.fround(2 ** 100), noNaN: true });
    fc.assert(fc.property(fc.constantFrom(...types), fc.array(scale, { minLength: 1, maxLength: 3 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 3, maxLength: 3 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 6, maxLength: 6 }), (t, scales, zs, xs) => {
      const perAxis = scales.length > 1;
      const n = scales.length;
      const pick = (u: number) => t.lo + Math.floor(u * (t.hi - t.lo));
      const zp = Array.from({ length: n }, (_, i) => pick(zs[i]));
      const s = tensorFromValues('s', DataType.FLOAT, perAxis ? [n] : [], Float32Array.from(scales));
      const z = tensorFromValues('z', t.dt, perAxis ? [n] : [], t.arr.from(zp));
      const dims = perAxis ? [2, n] : [6];
      const m = model(s, z, s, z, t.dt, dims);
      const withAxis: Model = perAxis ? { ...m, graph: { ...m.graph, nodes: m.graph.nodes.map((nd) => (nd.opType === 'Identity' ? nd : { ...nd, attributes: [{ name: 'axis', type: 'int', value: 1n }] })) } } : m;
      const xv = Array.from({ length: 2 * n > 6 ? 6 : (perAxis ? 2 * n : 6) }, (_, i) => pick(xs[i]));
      const x = new Tensor(t.name, xv, dims);
      const [lit] = runLevels(withAxis, { x }, ['none']);
      expect(Array.from(lit.y.data as ArrayLike<number>)).toEqual(xv);
      expect(run(withAxis).modified).toBe(true);
    }), { numRuns: 200 });
  });
});
