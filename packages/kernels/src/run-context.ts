import type { RunContext } from './contract.js';
import { Tensor, allocData, sizeOf, type DType } from './tensor.js';

/** A RunContext that allocates a fresh zeroed tensor every time (tests, one-off calls). */
export const freshRunContext: RunContext = {
  alloc<D extends DType>(dtype: D, dims: readonly number[]): Tensor<D> {
    return new Tensor(dtype, allocData(dtype, sizeOf(dims)), dims);
  },
};
