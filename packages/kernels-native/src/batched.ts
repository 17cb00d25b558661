/**
 * The matrix offsets of a batched MatMul of two activations (attention's Q K^T and P V) for the addon's FGemmBatch /
 * QGemmBatch: numpy broadcasting of the batch dims as `planMatMul` resolves it, A and B contiguous. Kept per
 * instance and rebuilt only when the input shapes change.
 */
import { planMatMul, type KernelNode } from '@lowbit/kernels';

export interface BatchPlan {
  readonly M: number;
  readonly K: number;
  readonly N: number;
  readonly batch: number;
  readonly outDims: readonly number[];
  /** Element offset of A's matrix t (M x K, rows K apart). */
  readonly aOffsets: Int32Array;
  /** Element offset of B's matrix t (K x N, rows N apart). */
  readonly bOffsets: Int32Array;
}

/** An Int32Array on its own ArrayBuffer (the addon reads it in place). */
const int32s = (n: number) => new Int32Array(new ArrayBuffer(4 * Math.max(n, 1)), 0, n);

export class BatchPlans {
  #a: readonly number[] = [];
  #b: readonly number[] = [];
  #plan: BatchPlan | undefined;

  /** The plan for these shapes (throws like the reference on mismatched inner or batch dims). */
  plan(node: Pick<KernelNode, 'name' | 'opType'>, aDims: readonly number[], bDims: readonly number[], aInput = 0, bInput = 1): BatchPlan {
    if (this.#plan && same(aDims, this.#a) && same(bDims, this.#b)) return this.#plan;
    const p = planMatMul(node, aDims, bDims, aInput, bInput);
    const aOffsets = int32s(p.batch);
    const bOffsets = int32s(p.batch);
    for (let t = 0; t < p.batch; t++) {
      aOffsets[t] = p.aIndex[t] * p.M * p.K;
      bOffsets[t] = p.bIndex[t] * p.K * p.N;
    }
    this.#a = [...aDims];
    this.#b = [...bDims];
    this.#plan = { M: p.M, K: p.K, N: p.N, batch: p.batch, outDims: p.outDims, aOffsets, bOffsets };
    return this.#plan;
  }
}

function same(x: readonly number[], y: readonly number[]): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Whether every element offset of the plan fits the addon's int32 offsets. */
export const offsetsFit = (aLength: number, bLength: number): boolean => aLength < 2 ** 31 && bLength < 2 ** 31;
