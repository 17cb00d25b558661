/**
 * numpy.matmul shape rules shared by MatMul, MatMulInteger and QLinearMatMul.
 *
 * A 1-D A `[K]` is treated as `[1, K]` and a 1-D B `[K]` as `[K, 1]`; the added dim is removed from the result.
 * Leading (batch) dims broadcast numpy-style. Example: A `[3,1,3,4]` x B `[1,2,4,2]` -> `[3,2,3,2]`;
 * A `[4]` x B `[2,4,1]` -> `[2,1]`.
 */
import type { KernelNode } from '../contract.js';
import { broadcastIndex, broadcastShapes } from '../ops/util/broadcast.js';
import { fail } from './checks.js';

export interface MatMulPlan {
  readonly M: number;
  readonly K: number;
  readonly N: number;
  /** Output dims (after removing the dims added for 1-D operands). */
  readonly outDims: readonly number[];
  /** Number of matrices in the output. */
  readonly batch: number;
  /** For output matrix b: the index of the A matrix and of the B matrix it multiplies. */
  readonly aIndex: Int32Array;
  readonly bIndex: Int32Array;
  /** Batch dims of the (lifted) operands and output, for per-batch parameters. */
  readonly outBatchDims: readonly number[];
}

export function planMatMul(node: Pick<KernelNode, 'name' | 'opType'>, aDims: readonly number[], bDims: readonly number[], aInput = 0, bInput = 1): MatMulPlan {
  if (aDims.length === 0) fail(node, 'rank', { inputIndex: aInput, expected: 'rank >= 1', actual: 'a scalar' });
  if (bDims.length === 0) fail(node, 'rank', { inputIndex: bInput, expected: 'rank >= 1', actual: 'a scalar' });
  const a = aDims.length === 1 ? [1, aDims[0]] : [...aDims];
  const b = bDims.length === 1 ? [bDims[0], 1] : [...bDims];
  const M = a[a.length - 2];
  const K = a[a.length - 1];
  const N = b[b.length - 1];
  if (b[b.length - 2] !== K) {
    fail(node, 'inner dimension', { inputIndex: bInput, expected: `B.dims[-2] = ${K} (A.dims[-1])`, actual: `[${bDims.join(', ')}]` });
  }
  const aBatch = a.slice(0, -2);
  const bBatch = b.slice(0, -2);
  const outBatch = broadcastShapes(node, [aBatch, bBatch]);
  let batch = 1;
  for (const d of outBatch) batch *= d;
  const ident = (n: number) => Int32Array.from({ length: n }, (_, i) => i);
  const aIndex = broadcastIndex(outBatch, aBatch) ?? ident(batch);
  const bIndex = broadcastIndex(outBatch, bBatch) ?? ident(batch);
  const outDims = [...outBatch];
  if (aDims.length > 1) outDims.push(M);
  if (bDims.length > 1) outDims.push(N);
  return { M, K, N, outDims, batch, aIndex, bIndex, outBatchDims: outBatch };
}
