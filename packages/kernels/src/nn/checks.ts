/** Input checks shared by the nn and quant kernels: each failure is a KernelError naming node, input and expected vs actual. */
import type { KernelNode } from '../contract.js';
import { kernelError, need } from '../ops/util/fail.js';
import type { DType, Tensor } from '../tensor.js';

type N = Pick<KernelNode, 'name' | 'opType'>;

/** Input `i`, required, with one of `dtypes`. */
export function input<D extends DType>(node: N, inputs: readonly (Tensor | null)[], i: number, dtypes: readonly D[]): Tensor<D> {
  const t = need(node, inputs, i);
  if (!(dtypes as readonly DType[]).includes(t.dtype)) {
    throw kernelError(node, 'dtype', { inputIndex: i, expected: dtypes.join('|'), actual: t.dtype });
  }
  return t as Tensor<D>;
}

/** Optional input `i` (null when omitted), with one of `dtypes` when present. */
export function optionalInput<D extends DType>(node: N, inputs: readonly (Tensor | null)[], i: number, dtypes: readonly D[]): Tensor<D> | null {
  const t = inputs[i];
  if (t === null || t === undefined) return null;
  return input(node, inputs, i, dtypes);
}

/** Throws unless `t` has a rank in [min, max]. */
export function expectRank(node: N, t: Tensor, i: number, min: number, max = min): void {
  const r = t.dims.length;
  if (r < min || r > max) {
    throw kernelError(node, 'rank', { inputIndex: i, expected: min === max ? `rank ${min}` : `rank ${min}..${max}`, actual: `[${t.dims.join(', ')}]` });
  }
}

/** Throws unless `t` has exactly `n` elements. */
export function expectSize(node: N, t: Tensor, i: number, n: number, what = 'element count'): void {
  if (t.data.length !== n) {
    throw kernelError(node, what, { inputIndex: i, expected: `${n} elements`, actual: `[${t.dims.join(', ')}]` });
  }
}

export function fail(node: N, what: string, detail: { inputIndex?: number; expected?: string; actual?: string } = {}): never {
  throw kernelError(node, what, detail);
}
