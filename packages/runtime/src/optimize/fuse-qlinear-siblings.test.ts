import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createPassContext, DataType, verifyErrors } from '@lowbit/onnx-ir';
import type { Model, PassResult, TensorRef } from '@lowbit/onnx-ir';
import { mkGraph, mkModel, mkNode } from '@lowbit/testing';
import { Tensor } from '@lowbit/kernels';
import { fuseQLinearMatMulDequantize } from './fuse-qlinear-dequant.js';
import { fuseQLinearSiblings } from './fuse-qlinear-siblings.js';
import { OPTIMIZE_OPTIONS_KEY } from './support.js';
import { f32, i8, tensorVi, u8 } from './test-support/qdq-graphs.js';
import { expectBitIdentical, nativeBackends } from './test-support/bit-identity.js';

const ctx = (options = {}) => createPassContext({ options });
/** fuse-qlinear-matmul-dequantize, then fuse-qlinear-siblings (the pipeline's order). */
const run = (m: Model, options = {}) => fuseQLinearSiblings.run((fuseQLinearMatMulDequantize.run(m, ctx(options)) as PassResult).model, ctx(options)) as PassResult;

interface Sib { N: number; perColumn?: boolean; bias?: boolean; a?: string; signedY?: boolean }
interface Spec { M: number; K: number; sibs: Sib[]; seed: number; signedA?: boolean }

/** a (8-bit [M, K]) -> per sibling QLinearMatMul(b int8 [K, N]) -> DequantizeLinear [-> Add(bias)] -> y_g. */
function model(s: Spec): Model {
  const rnd = (i: number) => (Math.sin(i * 12.9898 + s.seed * 78.233) * 43758.5453) % 1;
  const at = s.signedA ? DataType.INT8 : DataType.UINT8;
  const inits: TensorRef[] = [f32('as', [], [0.02]), s.signedA ? i8('az', [], [3]) : u8('az', [], [128])];
  const nodes = s.sibs.flatMap((b, g) => {
    const p = `s${g}_`;
    const per = b.perColumn ? [b.N] : [];
    inits.push(i8(`${p}b`, [s.K, b.N], Array.from({ length: s.K * b.N }, (_, i) => Math.trunc(rnd(i + 1000 * g) * 127))));
    inits.push(f32(`${p}bs`, per, Array.from({ length: b.perColumn ? b.N : 1 }, (_, j) => 0.001 + Math.abs(rnd(j + 77 * g)) * 0.02)));
    inits.push(i8(`${p}bz`, per, Array.from({ length: b.perColumn ? b.N : 1 }, () => 0)));
    inits.push(f32(`${p}ys`, [], [0.03 + g * 0.011]));
    inits.push(b.signedY ? i8(`${p}yz`, [], [g - 1]) : u8(`${p}yz`, [], [110 + 7 * g]));
    const a = b.a ?? 'a';
    const out = [
      mkNode('QLinearMatMul', [a, 'as', 'az', `${p}b`, `${p}bs`, `${p}bz`, `${p}ys`, `${p}yz`], [`${p}q`], { name: `${p}qmm` }),
      mkNode('DequantizeLinear', [`${p}q`, `${p}ys`, `${p}yz`], [b.bias ? `${p}d` : `y${g}`], { name: `${p}dq` }),
    ];
    if (b.bias) {
      inits.push(f32(`${p}bias`, [b.N], Array.from({ length: b.N }, (_, j) => rnd(j + 31 * g) * 2)));
      out.push(mkNode('Add', [`${p}d`, `${p}bias`], [`y${g}`], { name: `${p}add` }));
    }
    return out;
  });
  const inputs = [tensorVi('a', at, [s.M, s.K])];
  if (s.sibs.some((b) => b.a === 'a2')) inputs.push(tensorVi('a2', at, [s.M, s.K]));
  return mkModel(mkGraph({ inputs, outputs: s.sibs.map((_, g) => `y${g}`), initializers: inits, nodes }), { opset: 13 });
}

function feeds(s: Spec): Record<string, Tensor> {
  const v = (seed: number) => Array.from({ length: s.M * s.K }, (_, i) => ((i * 7919 + seed) % 256) - (s.signedA ? 128 : 0));
  const a = (seed: number) => (s.signedA ? new Tensor('int8', Int8Array.from(v(seed)), [s.M, s.K]) : new Tensor('uint8', Uint8Array.from(v(seed)), [s.M, s.K]));
  return s.sibs.some((b) => b.a === 'a2') ? { a: a(s.seed), a2: a(s.seed + 1) } : { a: a(s.seed) };
}

const outputsOf = (s: Spec) => s.sibs.map((_, g) => `y${g}`);
const qkv: Spec = { M: 6, K: 9, seed: 1, sibs: [{ N: 5, bias: true, perColumn: true }, { N: 3, bias: true }, { N: 8, bias: true, perColumn: true }] };

describe('fuse-qlinear-siblings', () => {
  it('applies: three QLinearMatMulToFloats of one quantized input become one QLinearMatMulToFloatSplit (one y_scale / y_zero_point per sibling); verifies; bit-identical (js)', () => {
    const m = model(qkv);
    const r = run(m);
    expect(r.modified).toBe(true);
    expect(verifyErrors(r.model)).toEqual([]);
    const fused = r.model.graph.nodes.filter((n) => n.domain === 'lowbit');
    expect(fused.map((n) => n.opType)).toEqual(['QLinearMatMulToFloatSplit']);
    expect(fused[0].outputs).toEqual(['y0', 'y1', 'y2']);
    expect(fused[0].attributes).toEqual([{ type: 'ints', name: 'splits', value: [5n, 3n, 8n] }]);
    const ys = r.model.graph.initializers.find((t) => t.name === fused[0].inputs[6])!;
    expect(ys.dims).toEqual([3]);
    expectBitIdentical(m, feeds(qkv), outputsOf(qkv));
  });

  it('groups only siblings of one input, one y_zero_point type and one bias presence; a lone node stays', () => {
    const s: Spec = { M: 4, K: 5, seed: 2, sibs: [{ N: 3, bias: true }, { N: 2 }, { N: 4, bias: true, signedY: true }, { N: 2, bias: true }, { N: 3, bias: true, a: 'a2' }, { N: 1 }] };
    const r = run(model(s));
    const fused = r.model.graph.nodes.filter((n) => n.domain === 'lowbit');
    expect(fused.map((n) => [n.opType, n.outputs.join()])).toEqual([['QLinearMatMulToFloatSplit', 'y0,y3'], ['QLinearMatMulToFloatSplit', 'y1,y5'], ['QLinearMatMulToFloat', 'y2'], ['QLinearMatMulToFloat', 'y4']]);
    expectBitIdentical(model(s), feeds(s), outputsOf(s));
  });

  it('does not apply (same object back): one sibling only; a rank guard without the split kernel', () => {
    const one = (fuseQLinearMatMulDequantize.run(model({ ...qkv, sibs: qkv.sibs.slice(0, 1) }), ctx()) as PassResult).model;
    expect((fuseQLinearSiblings.run(one, ctx()) as PassResult).model).toBe(one);
    const m = (fuseQLinearMatMulDequantize.run(model(qkv), ctx()) as PassResult).model;
    const guard = ctx({ [OPTIMIZE_OPTIONS_KEY]: { rank: (k: string) => (k.includes('Split') ? undefined : 1) } });
    expect((fuseQLinearSiblings.run(m, guard) as PassResult).model).toBe(m);
  });

  it('property: fused and unfused are bit-identical on js and native (threads 1 and 2), any widths, per-tensor or per-column, uint8 or int8 input and output', async () => {
    const native = await nativeBackends();
    const arb = fc.record({
      M: fc.integer({ min: 1, max: 24 }), K: fc.integer({ min: 1, max: 80 }), seed: fc.integer({ min: 0, max: 1e5 }), bias: fc.boolean(), signedA: fc.boolean(), signedY: fc.boolean(),
      widths: fc.array(fc.record({ N: fc.integer({ min: 1, max: 70 }), perColumn: fc.boolean() }), { minLength: 2, maxLength: 4 }),
    });
    fc.assert(fc.property(arb, ({ M, K, seed, bias, signedA, signedY, widths }) => {
      const s: Spec = { M, K, seed, signedA, sibs: widths.map((w) => ({ ...w, bias, signedY })) };
      expectBitIdentical(model(s), feeds(s), outputsOf(s), native);
    }), { numRuns: 50 });
    // BERT's Q, K, V: 64 x 256 into three 256-wide outputs, split over the pool's threads, on panel boundaries
    const big: Spec = { M: 64, K: 256, seed: 3, sibs: [256, 256, 256].map((N) => ({ N, bias: true, perColumn: true })) };
    expectBitIdentical(model(big), feeds(big), outputsOf(big), native);
    for (const be of native) be?.dispose?.();
  });
});
