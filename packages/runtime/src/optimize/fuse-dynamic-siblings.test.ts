import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createPassContext, DataType, verifyErrors } from '@lowbit/onnx-ir';
import type { Model, PassResult, TensorRef } from '@lowbit/onnx-ir';
import { mkGraph, mkModel, mkNode } from '@lowbit/testing';
import { Tensor } from '@lowbit/kernels';
import { fuseDynamicMatMul } from './fuse-dynamic.js';
import { fuseDynamicSiblings } from './fuse-dynamic-siblings.js';
import { OPTIMIZE_OPTIONS_KEY } from './support.js';
import { f32, i8, intAttr, tensorVi, u8 } from './test-support/qdq-graphs.js';
import { expectBitIdentical, nativeBackends } from './test-support/bit-identity.js';

const ctx = (options = {}) => createPassContext({ options });
/** fuse-dynamic-matmul, then fuse-dynamic-siblings (the pipeline's order). */
const run = (m: Model, options = {}) => fuseDynamicSiblings.run((fuseDynamicMatMul.run(m, ctx(options)) as PassResult).model, ctx(options)) as PassResult;

interface Sib { N: number; perColumn?: boolean; bias?: boolean; unsigned?: boolean; x?: string }
interface Spec { M: number; K: number; sibs: Sib[]; seed: number }

/** x (and x2) [M, K] -> one dynamic chain per sibling, each with its own DynamicQuantizeLinear, outputs y0, y1, ... */
function model(s: Spec): Model {
  const rnd = (i: number) => (Math.sin(i * 12.9898 + s.seed * 78.233) * 43758.5453) % 1;
  const inits: TensorRef[] = [];
  const nodes = s.sibs.flatMap((b, g) => {
    const p = `s${g}_`;
    const per = b.perColumn ? [b.N] : [];
    const w = Array.from({ length: s.K * b.N }, (_, i) => (b.unsigned ? Math.trunc(Math.abs(rnd(i + 1000 * g)) * 255) : Math.trunc(rnd(i + 1000 * g) * 127)));
    const zs = Array.from({ length: b.perColumn ? b.N : 1 }, (_, j) => (b.unsigned ? 120 + j % 9 : (j % 5) - 2));
    inits.push(b.unsigned ? u8(`${p}w`, [s.K, b.N], w) : i8(`${p}w`, [s.K, b.N], w));
    inits.push(f32(`${p}ws`, per, Array.from({ length: b.perColumn ? b.N : 1 }, (_, j) => 0.001 + Math.abs(rnd(j + 77 * g)) * 0.02)));
    inits.push(b.unsigned ? u8(`${p}wz`, per, zs) : i8(`${p}wz`, per, zs));
    const x = b.x ?? 'x';
    const out = [
      mkNode('DynamicQuantizeLinear', [x], [`${p}xq`, `${p}xs`, `${p}xz`], { name: `${p}dql` }),
      mkNode('MatMulInteger', [`${p}xq`, `${p}w`, `${p}xz`, `${p}wz`], [`${p}acc`], { name: `${p}mmi` }),
      mkNode('Cast', [`${p}acc`], [`${p}accf`], { name: `${p}cast`, attributes: [intAttr('to', DataType.FLOAT)] }),
      mkNode('Mul', [`${p}xs`, `${p}ws`], [`${p}sc`], { name: `${p}scale` }),
      mkNode('Mul', [`${p}accf`, `${p}sc`], [b.bias ? `${p}ys` : `y${g}`], { name: `${p}rescale` }),
    ];
    if (b.bias) {
      inits.push(f32(`${p}b`, [b.N], Array.from({ length: b.N }, (_, j) => rnd(j + 31 * g) * 2)));
      out.push(mkNode('Add', [`${p}ys`, `${p}b`], [`y${g}`], { name: `${p}bias` }));
    }
    return out;
  });
  const inputs = [tensorVi('x', DataType.FLOAT, [s.M, s.K])];
  if (s.sibs.some((b) => b.x === 'x2')) inputs.push(tensorVi('x2', DataType.FLOAT, [s.M, s.K]));
  return mkModel(mkGraph({ inputs, outputs: s.sibs.map((_, g) => `y${g}`), initializers: inits, nodes }), { opset: 13 });
}

function feeds(s: Spec): Record<string, Tensor> {
  const x = (seed: number) => new Tensor('float32', Float32Array.from({ length: s.M * s.K }, (_, i) => Math.cos(i * 0.37 + seed) * 3), [s.M, s.K]);
  return s.sibs.some((b) => b.x === 'x2') ? { x: x(s.seed), x2: x(s.seed + 1) } : { x: x(s.seed) };
}

const outputsOf = (s: Spec) => s.sibs.map((_, g) => `y${g}`);
const qkv: Spec = { M: 6, K: 9, seed: 1, sibs: [{ N: 5, bias: true, perColumn: true }, { N: 3, bias: true }, { N: 8, bias: true, perColumn: true }] };

describe('fuse-dynamic-siblings', () => {
  it('applies: three DynamicQMatMuls of one x become one DynamicQMatMulSplit (splits, weights side by side); verifies; bit-identical (js)', () => {
    const m = model(qkv);
    const r = run(m);
    expect(r.modified).toBe(true);
    expect(verifyErrors(r.model)).toEqual([]);
    const fused = r.model.graph.nodes.filter((n) => n.domain === 'lowbit');
    expect(fused.map((n) => n.opType)).toEqual(['DynamicQMatMulSplit']);
    expect(fused[0].outputs).toEqual(['y0', 'y1', 'y2']);
    expect(fused[0].attributes).toEqual([{ type: 'ints', name: 'splits', value: [5n, 3n, 8n] }]);
    const w = r.model.graph.initializers.find((t) => t.name === fused[0].inputs[1])!;
    expect(w.dims).toEqual([9, 16]);
    expectBitIdentical(m, feeds(qkv), outputsOf(qkv));
  });

  it('groups only siblings of one x, one weight type and one bias presence; a lone node stays', () => {
    const s: Spec = { M: 4, K: 5, seed: 2, sibs: [{ N: 3, bias: true }, { N: 2 }, { N: 4, bias: true, unsigned: true }, { N: 2, bias: true }, { N: 3, bias: true, x: 'x2' }, { N: 1 }] };
    const r = run(model(s));
    const fused = r.model.graph.nodes.filter((n) => n.domain === 'lowbit');
    expect(fused.map((n) => [n.opType, n.outputs.join()])).toEqual([['DynamicQMatMulSplit', 'y0,y3'], ['DynamicQMatMulSplit', 'y1,y5'], ['DynamicQMatMul', 'y2'], ['DynamicQMatMul', 'y4']]);
    expectBitIdentical(model(s), feeds(s), outputsOf(s));
  });

  it('does not apply (same object back): one sibling only; a rank guard without the split kernel', () => {
    const one = (fuseDynamicMatMul.run(model({ ...qkv, sibs: qkv.sibs.slice(0, 1) }), ctx()) as PassResult).model;
    expect((fuseDynamicSiblings.run(one, ctx()) as PassResult).model).toBe(one);
    const m = (fuseDynamicMatMul.run(model(qkv), ctx()) as PassResult).model;
    const guard = ctx({ [OPTIMIZE_OPTIONS_KEY]: { rank: (k: string) => (k.includes('Split') ? undefined : 1) } });
    expect((fuseDynamicSiblings.run(m, guard) as PassResult).model).toBe(m);
  });

  it('property: fused and unfused are bit-identical on js and native (threads 1 and 2), any widths, per-tensor or per-column, int8 or uint8', async () => {
    const native = await nativeBackends();
    const arb = fc.record({
      M: fc.integer({ min: 1, max: 24 }), K: fc.integer({ min: 1, max: 80 }), seed: fc.integer({ min: 0, max: 1e5 }), bias: fc.boolean(), unsigned: fc.boolean(),
      widths: fc.array(fc.record({ N: fc.integer({ min: 1, max: 70 }), perColumn: fc.boolean() }), { minLength: 2, maxLength: 4 }),
    });
    fc.assert(fc.property(arb, ({ M, K, seed, bias, unsigned, widths }) => {
      const s: Spec = { M, K, seed, sibs: widths.map((w) => ({ ...w, bias, unsigned })) };
      expectBitIdentical(model(s), feeds(s), outputsOf(s), native);
    }), { numRuns: 50 });
    // BERT's Q, K, V: 64 x 256 into three 256-wide outputs, split over the pool's threads, on panel boundaries
    const big: Spec = { M: 64, K: 256, seed: 3, sibs: [256, 256, 256].map((N) => ({ N, bias: true, perColumn: true })) };
    expectBitIdentical(model(big), feeds(big), outputsOf(big), native);
    for (const be of native) be?.dispose?.();
  });
});
