import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createPassContext, DataType, verifyErrors } from '@lowbit/onnx-ir';
import type { Model, PassResult } from '@lowbit/onnx-ir';
import { mkGraph, mkModel, mkNode } from '@lowbit/testing';
import { Tensor } from '@lowbit/kernels';
import { fuseDynamicMatMul } from './fuse-dynamic.js';
import { fuseQLinearMatMulDequantize } from './fuse-qlinear-dequant.js';
import { fuseResidualAdd } from './fuse-residual-add.js';
import { OPTIMIZE_OPTIONS_KEY } from './support.js';
import { f32, i8, intAttr, runLevels, tensorVi, u8 } from './test-support/qdq-graphs.js';
import { bits, expectBitIdentical, nativeBackends } from './test-support/bit-identity.js';

const ctx = (options = {}) => createPassContext({ options });
/** fuse-dynamic-matmul, then fuse-residual-add (the pipeline's order). */
const run = (m: Model, options = {}) => fuseResidualAdd.run((fuseDynamicMatMul.run(m, ctx(options)) as PassResult).model, ctx(options)) as PassResult;

interface Spec {
  M: number; K: number; N: number; seed: number;
  /** the residual's dims ([M, N] by default: the block's own input when K = N, else a second input) */
  rDims?: number[];
  /** Add(r, y) instead of Add(y, r) */
  swap?: boolean;
  bias?: boolean;
  /** the residual is a constant initializer (not fused) */
  constResidual?: boolean;
  /** y also read by a second node (not fused) */
  shared?: boolean;
}

/** x [M, K] -> the dynamic chain (w [K, N], per-column scale, bias) -> Add(y, r) -> z; r a second input. */
function model(s: Spec): Model {
  const rnd = (i: number) => Math.sin(i * 12.9898 + s.seed * 78.233) * 43758.5453 % 1;
  const w = Array.from({ length: s.K * s.N }, (_, i) => Math.trunc(rnd(i) * 127));
  const inits = [i8('wq', [s.K, s.N], w), f32('ws', [s.N], Array.from({ length: s.N }, (_, j) => 0.001 + Math.abs(rnd(j + 99)) * 0.02)), i8('wz', [s.N], new Array<number>(s.N).fill(0))];
  const nodes = [
    mkNode('DynamicQuantizeLinear', ['x'], ['xq', 'xs', 'xz'], { name: 'dql' }),
    mkNode('MatMulInteger', ['xq', 'wq', 'xz', 'wz'], ['acc'], { name: 'mmi' }),
    mkNode('Cast', ['acc'], ['accf'], { name: 'cast', attributes: [intAttr('to', DataType.FLOAT)] }),
    mkNode('Mul', ['xs', 'ws'], ['sc'], { name: 'scale' }),
    mkNode('Mul', ['accf', 'sc'], [s.bias === false ? 'y' : 'ys'], { name: 'rescale' }),
  ];
  if (s.bias !== false) {
    inits.push(f32('b', [s.N], Array.from({ length: s.N }, (_, j) => rnd(j + 7) * 2)));
    nodes.push(mkNode('Add', ['ys', 'b'], ['y'], { name: 'bias' }));
  }
  const rDims = s.rDims ?? [s.M, s.N];
  const inputs = [tensorVi('x', DataType.FLOAT, [s.M, s.K])];
  if (s.constResidual) inits.push(f32('r', rDims, Array.from({ length: rDims.reduce((a, b) => a * b, 1) }, (_, i) => rnd(i + 5))));
  else inputs.push(tensorVi('r', DataType.FLOAT, rDims));
  nodes.push(mkNode('Add', s.swap ? ['r', 'y'] : ['y', 'r'], ['z'], { name: 'residual' }));
  const outputs = ['z'];
  if (s.shared) {
    nodes.push(mkNode('Relu', ['y'], ['y2'], { name: 'other' }));
    outputs.push('y2');
  }
  return mkModel(mkGraph({ inputs, outputs, initializers: inits, nodes }), { opset: 13 });
}

function feeds(s: Spec): Record<string, Tensor> {
  const rDims = s.rDims ?? [s.M, s.N];
  const x = new Tensor('float32', Float32Array.from({ length: s.M * s.K }, (_, i) => Math.cos(i * 0.37 + s.seed) * 3), [s.M, s.K]);
  const r = new Tensor('float32', Float32Array.from({ length: rDims.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.61 - s.seed) * 5), rDims);
  return s.constResidual ? { x } : { x, r };
}

const base: Spec = { M: 5, K: 7, N: 6, seed: 1 };

/** The static form: a (uint8 [M, K]) -> QLinearMatMul(w int8 [K, N]) -> DequantizeLinear [-> Add(bias)] -> Add(., r). */
function staticModel(s: Spec): Model {
  const rnd = (i: number) => Math.sin(i * 12.9898 + s.seed * 78.233) * 43758.5453 % 1;
  const inits = [
    f32('as', [], [0.02]), u8('az', [], [128]), i8('w', [s.K, s.N], Array.from({ length: s.K * s.N }, (_, i) => Math.trunc(rnd(i) * 127))),
    f32('ws', [s.N], Array.from({ length: s.N }, (_, j) => 0.001 + Math.abs(rnd(j + 99)) * 0.02)), i8('wz', [], [0]), f32('ys', [], [0.05]), u8('yz', [], [120]),
  ];
  const nodes = [
    mkNode('QLinearMatMul', ['a', 'as', 'az', 'w', 'ws', 'wz', 'ys', 'yz'], ['q'], { name: 'qmm' }),
    mkNode('DequantizeLinear', ['q', 'ys', 'yz'], [s.bias === false ? 'y' : 'd'], { name: 'dq' }),
  ];
  if (s.bias !== false) {
    inits.push(f32('b', [s.N], Array.from({ length: s.N }, (_, j) => rnd(j + 7) * 2)));
    nodes.push(mkNode('Add', ['d', 'b'], ['y'], { name: 'bias' }));
  }
  nodes.push(mkNode('Add', s.swap ? ['r', 'y'] : ['y', 'r'], ['z'], { name: 'residual' }));
  const rDims = s.rDims ?? [s.M, s.N];
  return mkModel(mkGraph({ inputs: [tensorVi('a', DataType.UINT8, [s.M, s.K]), tensorVi('r', DataType.FLOAT, rDims)], outputs: ['z'], initializers: inits, nodes }), { opset: 13 });
}

function staticFeeds(s: Spec): Record<string, Tensor> {
  const rDims = s.rDims ?? [s.M, s.N];
  const a = new Tensor('uint8', Uint8Array.from({ length: s.M * s.K }, (_, i) => (i * 7919 + s.seed) % 256), [s.M, s.K]);
  return { a, r: new Tensor('float32', Float32Array.from({ length: rDims.reduce((x, y) => x * y, 1) }, (_, i) => Math.sin(i * 0.61 - s.seed) * 5), rDims) };
}

describe('fuse-residual-add', () => {
  it('applies: Add(DynamicQMatMul(x) + bias, r) becomes one DynamicQMatMul with r as input 5; verifies; bit-identical (js)', () => {
    for (const s of [base, { ...base, swap: true }, { ...base, bias: false }]) {
      const m = model(s);
      const r = run(m);
      expect(r.modified).toBe(true);
      expect(verifyErrors(r.model)).toEqual([]);
      const fused = r.model.graph.nodes.filter((n) => n.opType === 'DynamicQMatMul');
      expect(fused).toHaveLength(1);
      expect(fused[0].inputs).toEqual(['x', 'wq', 'ws', 'wz', s.bias === false ? '' : 'b', 'r']);
      expect(fused[0].outputs).toEqual(['z']);
      expect(r.model.graph.nodes.map((n) => n.opType)).not.toContain('Add');
      expectBitIdentical(m, feeds(s), ['z']);
    }
  });

  it('static form: Add(QLinearMatMulToFloat(..) + bias, r) takes r as input 9; bit-identical (js)', () => {
    for (const s of [base, { ...base, swap: true }, { ...base, bias: false }, { ...base, rDims: [6] }]) {
      const m = staticModel(s);
      const r = fuseResidualAdd.run((fuseQLinearMatMulDequantize.run(m, ctx()) as PassResult).model, ctx()) as PassResult;
      expect(r.modified).toBe(true);
      expect(verifyErrors(r.model)).toEqual([]);
      const fused = r.model.graph.nodes.find((n) => n.opType === 'QLinearMatMulToFloat')!;
      expect(fused.inputs.slice(8)).toEqual([s.bias === false ? '' : 'b', 'r']);
      expect(r.model.graph.nodes.map((n) => n.opType)).not.toContain('Add');
      expectBitIdentical(m, staticFeeds(s), ['z']);
    }
  });

  it('a residual that broadcasts ([N], [1, N], or one that widens the result to [2, M, N]) keeps the Add\'s shape and bits', () => {
    for (const rDims of [[6], [1, 6], [2, 5, 6], [5, 1]]) {
      const s = { ...base, rDims };
      const [a, b] = runLevels(model(s), feeds(s), ['none', 'all']);
      expect(b.z.dims).toEqual(a.z.dims);
      expect(bits(b.z)).toEqual(bits(a.z));
    }
  });

  it('a BERT-sized block (64 x 256 x 256, split over the pool\'s threads) is bit-identical on native at 1 and 2 threads', async () => {
    const s: Spec = { M: 64, K: 256, N: 256, seed: 3 };
    const native = await nativeBackends();
    expectBitIdentical(model(s), feeds(s), ['z'], native);
    expectBitIdentical(staticModel(s), staticFeeds(s), ['z'], native);
    for (const be of native) be?.dispose?.();
  });

  it('does not apply (same object back): a constant residual, y read elsewhere or kept, opset 6', () => {
    for (const s of [{ ...base, constResidual: true }, { ...base, shared: true }]) {
      const m = (fuseDynamicMatMul.run(model(s), ctx()) as PassResult).model;
      expect((fuseResidualAdd.run(m, ctx()) as PassResult).model).toBe(m);
    }
    const m = (fuseDynamicMatMul.run(model(base), ctx()) as PassResult).model;
    expect((fuseResidualAdd.run(m, ctx({ [OPTIMIZE_OPTIONS_KEY]: { keep: (n: string) => n === 'y' } })) as PassResult).model).toBe(m);
    const old = { ...m, opsetImports: m.opsetImports.map((o) => (o.domain === '' ? { ...o, version: 6 } : o)) };
    expect((fuseResidualAdd.run(old, ctx()) as PassResult).model).toBe(old);
  });

  it('property: fused and unfused are bit-identical, dynamic and static forms, on js and native (threads 1 and 2), every operand order and bias', async () => {
    const native = await nativeBackends();
    const arb = fc.record({
      M: fc.integer({ min: 1, max: 40 }), K: fc.integer({ min: 1, max: 70 }), N: fc.integer({ min: 1, max: 70 }), seed: fc.integer({ min: 0, max: 1e5 }),
      swap: fc.boolean(), bias: fc.boolean(), broadcast: fc.boolean(),
    });
    fc.assert(fc.property(arb, ({ M, K, N, seed, swap, bias, broadcast }) => {
      const s: Spec = { M, K, N, seed, swap, bias, ...(broadcast ? { rDims: [N] } : {}) };
      expectBitIdentical(model(s), feeds(s), ['z'], native);
      expectBitIdentical(staticModel(s), staticFeeds(s), ['z'], native);
    }), { numRuns: 60 });
    for (const be of native) be?.dispose?.();
  });
});
