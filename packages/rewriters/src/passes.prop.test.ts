/**
 * Laws for every rewriter pass on generated conv nets (1-3 blocks of Conv [+ BatchNormalization] [+ Relu | Clip]
 * [+ MaxPool], then Flatten and MatMul or Gemm): the identity rule (`modified` iff a new object), idempotence (a second
 * run returns the same object), and the result passes verifyModel and loads in onnxruntime-node.
 */
import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { DataType, createPassContext, encodeModel, verifyErrors } from '@lowbit/onnx-ir';
import type { Model, Node, Pass, TensorRef } from '@lowbit/onnx-ir';
import { floatAttr, intAttr, intsAttr } from './attrs.js';
import { constantFolding } from './constant-folding.js';
import { dynamicQuantize } from './dynamic.js';
import { foldBatchNorm, fuseConvBias } from './fold-batchnorm.js';
import { insertQdq, staticQuantTargets } from './insert-qdq.js';
import { opsetUpgrade } from './opset-upgrade.js';
import { qdqToQOperator } from './qoperator.js';
import { shapeInference } from './shape-inference.js';
import { weightOnlyQuantize } from './weight-only.js';
import { model, node, randFloats, vi } from './test-support/build.js';
import { makeTensor } from './tensor-data.js';

interface Block { readonly out: number; readonly bn: boolean; readonly act: 'none' | 'relu' | 'clip'; readonly pool: boolean }
const blockArb: fc.Arbitrary<Block> = fc.record({ out: fc.integer({ min: 1, max: 4 }), bn: fc.boolean(), act: fc.constantFrom('none', 'relu', 'clip'), pool: fc.boolean() });
const netArb = fc.record({ blocks: fc.array(blockArb, { minLength: 1, maxLength: 3 }), gemm: fc.boolean(), seed: fc.integer({ min: 1, max: 1000 }), opset: fc.constantFrom(13, 21) });

function build(spec: { blocks: Block[]; gemm: boolean; seed: number; opset: number }): Model {
  const nodes: Node[] = [];
  const inits: TensorRef[] = [];
  let cur = 'x', ch = 2, hw = 8, k = 0;
  const f = (name: string, dims: number[], scale = 0.5) => { inits.push(makeTensor(name, DataType.FLOAT, dims, randFloats(dims.reduce((a, b) => a * b, 1), spec.seed + inits.length, scale))); return name; };
  for (const b of spec.blocks) {
    const w = f(`w${k}`, [b.out, ch, 3, 3]);
    const bias = f(`b${k}`, [b.out], 0.1);
    nodes.push(node('Conv', [cur, w, bias], [`c${k}`], [intsAttr('kernel_shape', [3, 3]), intsAttr('pads', [1, 1, 1, 1])], `conv${k}`));
    cur = `c${k}`;
    if (b.bn) {
      const ps = ['g', 'be', 'mu'].map((p) => f(`${p}${k}`, [b.out]));
      inits.push(makeTensor(`va${k}`, DataType.FLOAT, [b.out], new Array(b.out).fill(0.5)));
      nodes.push(node('BatchNormalization', [cur, ...ps, `va${k}`], [`bn${k}`], [floatAttr('epsilon', 1e-5)], `bn${k}`));
      cur = `bn${k}`;
    }
    if (b.act === 'relu') { nodes.push(node('Relu', [cur], [`a${k}`], [], `relu${k}`)); cur = `a${k}`; }
    if (b.act === 'clip') {
      inits.push(makeTensor(`lo${k}`, DataType.FLOAT, [], [0]), makeTensor(`hi${k}`, DataType.FLOAT, [], [6]));
      nodes.push(node('Clip', [cur, `lo${k}`, `hi${k}`], [`a${k}`], [], `clip${k}`));
      cur = `a${k}`;
    }
    if (b.pool && hw >= 2) { nodes.push(node('MaxPool', [cur], [`p${k}`], [intsAttr('kernel_shape', [2, 2]), intsAttr('strides', [2, 2])], `pool${k}`)); cur = `p${k}`; hw /= 2; }
    ch = b.out;
    k++;
  }
  nodes.push(node('Flatten', [cur], ['flat'], [intAttr('axis', 1)], 'flatten'));
  const feat = ch * hw * hw;
  if (spec.gemm) nodes.push(node('Gemm', ['flat', f('fc', [3, feat]), f('fcb', [3])], ['y'], [intAttr('transB', 1)], 'fc'));
  else nodes.push(node('MatMul', ['flat', f('fc', [feat, 32])], ['y'], [], 'fc'));
  return model({ opset: spec.opset, nodes, inputs: [vi('x', [1, 2, 8, 8])], outputs: [vi('y', undefined)], inits });
}

async function laws(pass: Pass, m: Model): Promise<Model> {
  const ctx = createPassContext();
  const r1 = await pass.run(m, ctx);
  expect(r1.modified).toBe(r1.model !== m);
  expect(verifyErrors(r1.model)).toEqual([]);
  const r2 = await pass.run(r1.model, ctx);
  expect(r2.model).toBe(r1.model);
  expect(r2.modified).toBe(false);
  return r1.model;
}

async function loads(m: Model): Promise<void> {
  const s = await ort.InferenceSession.create(encodeModel(m), { executionProviders: ['cpu'] });
  const r = await s.run({ x: new ort.Tensor('float32', randFloats(128, 9), [1, 2, 8, 8]) });
  expect(Array.from(r.y.data as Float32Array).every(Number.isFinite)).toBe(true);
  await s.release();
}

describe('pass laws on generated conv nets', () => {
  it('preprocessing passes: identity rule, idempotence, valid, loadable', async () => {
    await fc.assert(fc.asyncProperty(netArb, async (spec) => {
      let m = build(spec);
      for (const p of [shapeInference(), constantFolding(), foldBatchNorm(), fuseConvBias(), opsetUpgrade({ targetOpset: 21 })]) m = await laws(p, m);
      await loads(m);
    }), { numRuns: 15 });
  });

  it('quantizing passes: identity rule, idempotence, valid, loadable', async () => {
    await fc.assert(fc.asyncProperty(netArb, fc.boolean(), async (spec, perChannel) => {
      const m = await laws(foldBatchNorm(), build(spec));
      const ranges = new Map(staticQuantTargets(m).map((t) => [t, { min: -3, max: 3 }]));
      const qdq = await laws(insertQdq({ ranges, perChannel }), m);
      await loads(qdq);
      await loads(await laws(qdqToQOperator(), qdq));
      await loads(await laws(dynamicQuantize({ perChannel }), m));
      if (spec.opset >= 21) await loads(await laws(weightOnlyQuantize({ dtype: 'int4', blockSize: 16 }), m));
    }), { numRuns: 15 });
  });
});
