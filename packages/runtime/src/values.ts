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

/**
 * An ONNX optional value that holds nothing (`optional(T)` without an element). An optional that holds an element
 * is represented by the element itself.
 */
export class OptionalNone {
  /** What the optional would hold: a tensor dtype, or 'sequence'. */
  readonly elemType: DType | 'sequence' | undefined;
  constructor(elemType: DType | 'sequence' | undefined) {
    this.elemType = elemType;
  }
}

export type Value = Tensor | TensorSequence | OptionalNone;

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
  else if (v instanceof TensorSequence) for (const t of v.items) pool.retain(t);
}

/** Drops one reference on every tensor of `v`. */
export function releaseValue(pool: RefCounter, v: Value | null | undefined): void {
  if (!v) return;
  if (isTensor(v)) pool.release(v);
  else if (v instanceof TensorSequence) for (const t of v.items) pool.release(t);
}

/** Human-readable kind of a value, for error messages. */
export function kindOf(v: Value | null | undefined): string {
  if (v === null || v === undefined) return 'nothing';
  if (isTensor(v)) return `a ${v.dtype} tensor`;
  if (v instanceof TensorSequence) return 'a sequence';
  return 'an empty optional';
}
