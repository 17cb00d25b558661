/**
 * What flows along graph edges at run time: tensors, and (for the sequence ops and Loop) tensor sequences.
 */
import { Tensor, type DType } from '@lowbit/kernels';
import type { TensorRef } from '@lowbit/onnx-ir';
import { tensorValuesSync } from './ir-compat.js';

/** An ONNX `seq(tensor(T))` value: an immutable list of tensors of one dtype. */
export class TensorSequence {
  readonly elemType: DType | undefined;
  readonly items: readonly Tensor[];
  constructor(elemType: DType | undefined, items: readonly Tensor[]) {
    this.elemType = elemType;
    this.items = Object.freeze([...items]);
  }
  get length(): number {
    return this.items.length;
  }
}

export type Value = Tensor | TensorSequence;

export function isTensor(v: unknown): v is Tensor {
  return v instanceof Tensor;
}

/** An IR tensor (initializer or attribute) as a kernels Tensor. Reads inline/lazy bytes synchronously. */
export function tensorFromRef(t: TensorRef): Tensor {
  const v = tensorValuesSync(t);
  return new Tensor(v.dtype, v.data as never, v.dims);
}

/** Minimal pool surface the value helpers need. */
interface RefCounter {
  retain(t: Tensor): void;
  release(t: Tensor): void;
}

/** Takes one reference on every tensor of `v` (a tensor or each item of a sequence). */
export function retainValue(pool: RefCounter, v: Value | null | undefined): void {
  if (!v) return;
  if (isTensor(v)) pool.retain(v);
  else for (const t of v.items) pool.retain(t);
}

/** Drops one reference on every tensor of `v`. */
export function releaseValue(pool: RefCounter, v: Value | null | undefined): void {
  if (!v) return;
  if (isTensor(v)) pool.release(v);
  else for (const t of v.items) pool.release(t);
}
