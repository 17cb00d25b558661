import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { dequantize } from '@lowbit/qparams';
import { createPassContext, verifyErrors } from '@lowbit/onnx-ir';
import type { Model } from '@lowbit/onnx-ir';
import { dynamicQuantize } from './dynamic.js';
import { weightOnlyQuantize } from './weight-only.js';
import { collectRows } from './test-support/collect.js';
import { ortRun } from './test-support/ort.js';
import { DIM, SEQ, tokens, transformerBlock } from './test-support/transformer.js';
import { tensorFloats, tensorNumbers } from './tensor-data.js';

const feed = (i: number) => ({ ids: new ort.Tensor('int64', tokens(i), [1, SEQ]) });
const init = (m: Model, name: string) => m.graph.initializers.find((t) => t.name === name)!;

/** Relative L2 error of the model output against the float model on held-out token sequences. */
async function outputError(f: Model, q: Model): Promise<number> {
  let num = 0, den = 0;
  for (let i = 100; i < 108; i++) {
    const a = (await ortRun(f, { ids: { data: tokens(i), dims: [1, SEQ] } })).out;
    const b = (await ortRun(q, { ids: { data: tokens(i), dims: [1, SEQ] } })).out;
    for (let j = 0; j < a.length; j++) { num += (a[j] - b[j]) ** 2; den += a[j] ** 2; }
  }
  return Math.sqrt(num / den);
}

/** The weight a weight-only MatMul actually uses, dequantized by qparams `dequantize` from the emitted initializers. */
function effectiveWeight(q: Model, matmul: string): Float32Array {
  const mm = q.graph.nodes.find((n) => n.name === matmul)!;
  const dq = q.graph.nodes.find((n) => n.outputs[0] === mm.inputs[1])!;
  const w = init(q, dq.inputs[0]!), s = init(q, dq.inputs[1]!), z = init(q, dq.inputs[2]!);
  const dtype = ({ 22: 'int4', 21: 'uint4', 3: 'int8', 2: 'uint8' } as const)[w.dtype as 22 | 21 | 3 | 2];
  return dequantize(tensorNumbers(w), w.dims, { dtype, scale: tensorFloats(s), zeroPoint: tensorNumbers(z), axis: 0, blockSize: 32, paramDims: s.dims }) as Float32Array;
}

/** ||X W - X W_hat||^2 over calibration rows X [n, K]. */
function reconError(x: Float32Array, n: number, w: Float32Array, wh: Float32Array, k: number, cols: number): number {
  let e = 0;
  for (let r = 0; r < n; r++) for (let j = 0; j < cols; j++) {
    let d = 0;
    for (let i = 0; i < k; i++) d += x[r * k + i] * (w[i * cols + j] - wh[i * cols + j]);
    e += d * d;
  }
  return e;
}

describe('transformer-shaped model', () => {
  const f = transformerBlock();

  it('float model runs in onnxruntime-node', async () => {
    const r = await ortRun(f, { ids: { data: tokens(0), dims: [1, SEQ] } });
    expect(r.out).toHaveLength(SEQ * DIM);
  });

  it('dynamic: MatMuls with constant weights and the embedding are quantized; loads and stays close', async () => {
    const q = (await dynamicQuantize({ perChannel: true }).run(f, createPassContext())).model;
    expect(verifyErrors(q)).toEqual([]);
    const ops = q.graph.nodes.map((n) => n.opType);
    expect(ops.filter((o) => o === 'MatMulInteger')).toHaveLength(8); // 6 weight MatMuls + 2 attention MatMuls (u8 x u8)
    expect(ops.filter((o) => o === 'MatMul')).toHaveLength(0);
    const floatAttention = (await dynamicQuantize({ perChannel: true, activationMatMul: false }).run(f, createPassContext())).model;
    expect(floatAttention.graph.nodes.filter((n) => n.opType === 'MatMul')).toHaveLength(2);
    expect(ops).toContain('DynamicQuantizeLinear');
    const err = await outputError(f, q);
    console.log('dynamic relative output error', err);
    expect(err).toBeLessThan(0.05);
  });

  it('weight-only int4: GPTQ reconstruction error is below RTN on every MatMul (natural and act-order)', async () => {
    const weights = { q_proj: ['ln', 'wq'], k_proj: ['ln', 'wk'], v_proj: ['ln', 'wv'], o_proj: ['ctx', 'wo'], fc1: ['res', 'w1'], fc2: ['g', 'w2'] } as const;
    const acts = await collectRows(f, ['ln', 'ctx', 'res', 'g'], Array.from({ length: 32 }, (_, i) => feed(i)));
    const rtn = (await weightOnlyQuantize({ dtype: 'int4', blockSize: 32 }).run(f, createPassContext())).model;
    const gptq = (await weightOnlyQuantize({ dtype: 'int4', blockSize: 32, algorithm: 'gptq', activations: acts }).run(f, createPassContext())).model;
    const gptqAct = (await weightOnlyQuantize({ dtype: 'int4', blockSize: 32, algorithm: 'gptq', activations: acts, actOrder: true }).run(f, createPassContext())).model;
    for (const m of [rtn, gptq, gptqAct]) expect(verifyErrors(m)).toEqual([]);
    for (const [mm, [x, w]] of Object.entries(weights)) {
      const wf = tensorFloats(init(f, w));
      const [k, cols] = init(f, w).dims;
      const a = acts.get(x)!;
      const eR = reconError(a.data, a.samples, wf, effectiveWeight(rtn, mm), k, cols);
      const eG = reconError(a.data, a.samples, wf, effectiveWeight(gptq, mm), k, cols);
      const eA = reconError(a.data, a.samples, wf, effectiveWeight(gptqAct, mm), k, cols);
      console.log(`${mm}: rtn ${eR.toFixed(4)} gptq ${eG.toFixed(4)} gptq-act-order ${eA.toFixed(4)}`);
      expect(eG).toBeLessThan(eR);
      expect(eA).toBeLessThan(eR);
    }
    const errR = await outputError(f, rtn);
    const errG = await outputError(f, gptq);
    console.log('output error rtn', errR, 'gptq', errG);
    expect(errR).toBeLessThan(0.3);
    expect(errG).toBeLessThan(0.3);
  });
});
