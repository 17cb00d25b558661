/**
 * TEST-ONLY: a transformer-shaped block built by hand (opset 21): token embedding Gather, LayerNormalization,
 * single-head attention (Q/K/V MatMuls, Transpose, scaled scores, Softmax, context MatMul), output projection with a
 * residual Add, and an MLP with Gelu.
 */
import { DataType } from '@lowbit/onnx-ir';
import type { Model } from '@lowbit/onnx-ir';
import { floatAttr, intAttr, intsAttr } from '../attrs.js';
import { makeTensor } from '../tensor-data.js';
import { model, node, randFloats, vi } from './build.js';

export const VOCAB = 50;
export const DIM = 64;
export const SEQ = 8;

export function transformerBlock(): Model {
  const f = (name: string, dims: number[], seed: number, scale: number) => makeTensor(name, DataType.FLOAT, dims, randFloats(dims.reduce((a, b) => a * b, 1), seed, scale));
  const s = 1 / Math.sqrt(DIM);
  return model({
    opset: 21,
    nodes: [
      node('Gather', ['emb', 'ids'], ['h'], [intAttr('axis', 0)], 'embed'),
      node('LayerNormalization', ['h', 'ln_g', 'ln_b'], ['ln'], [intAttr('axis', -1), floatAttr('epsilon', 1e-5)], 'ln'),
      node('MatMul', ['ln', 'wq'], ['q'], [], 'q_proj'),
      node('MatMul', ['ln', 'wk'], ['k'], [], 'k_proj'),
      node('MatMul', ['ln', 'wv'], ['v'], [], 'v_proj'),
      node('Transpose', ['k'], ['kt'], [intsAttr('perm', [0, 2, 1])], 'k_t'),
      node('MatMul', ['q', 'kt'], ['sc'], [], 'scores'),
      node('Mul', ['sc', 'scale'], ['scs'], [], 'scale'),
      node('Softmax', ['scs'], ['att'], [intAttr('axis', -1)], 'softmax'),
      node('MatMul', ['att', 'v'], ['ctx'], [], 'context'),
      node('MatMul', ['ctx', 'wo'], ['o'], [], 'o_proj'),
      node('Add', ['o', 'h'], ['res'], [], 'residual'),
      node('MatMul', ['res', 'w1'], ['m1'], [], 'fc1'),
      node('Gelu', ['m1'], ['g'], [], 'gelu'),
      node('MatMul', ['g', 'w2'], ['out'], [], 'fc2'),
    ],
    inputs: [vi('ids', [1, SEQ], DataType.INT64)],
    outputs: [vi('out', [1, SEQ, DIM])],
    inits: [
      f('emb', [VOCAB, DIM], 1, 1),
      makeTensor('ln_g', DataType.FLOAT, [DIM], new Array(DIM).fill(1)), makeTensor('ln_b', DataType.FLOAT, [DIM], new Array(DIM).fill(0)),
      f('wq', [DIM, DIM], 2, 0.2), f('wk', [DIM, DIM], 3, 0.2), f('wv', [DIM, DIM], 4, 0.2), f('wo', [DIM, DIM], 5, 0.2),
      makeTensor('scale', DataType.FLOAT, [], [s]),
      f('w1', [DIM, 2 * DIM], 6, 0.2), f('w2', [2 * DIM, DIM], 7, 0.2),
    ],
  });
}

/** Deterministic token ids for sample `i`. */
export function tokens(i: number): BigInt64Array {
  const out = new BigInt64Array(SEQ);
  for (let t = 0; t < SEQ; t++) out[t] = BigInt((i * 7 + t * 13 + ((i * t) % 5)) % VOCAB);
  return out;
}
