import type { RunContext } from './contract.js';
import { Tensor, allocData, sizeOf, zeroFill, type DType } from './tensor.js';

/** A RunContext that allocates a fresh zeroed tensor every time (tests, one-off calls). */
export const freshRunContext: RunContext = {
  alloc<D extends DType>(dtype: D, dims: readonly number[]): Tensor<D> {
    return new Tensor(dtype, allocData(dtype, sizeOf(dims)), dims);
  },
};

/**
 * A RunContext over `ctx` whose buffers are zero-filled: for a variant that declares `writesAllOutputs` (and so gets
 * reused buffers as they are) but hands some calls to a kernel that expects zeroed ones (a reference fallback).
 */
export function zeroingContext(ctx: RunContext): RunContext {
  return {
    alloc<D extends DType>(dtype: D, dims: readonly number[]): Tensor<D> {
      const t = ctx.alloc(dtype, dims);
      zeroFill(t.data);
      return t;
    },
  };
}
