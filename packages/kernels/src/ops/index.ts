import type { KernelVariant } from '../contract.js';
import { ACTIVATION_KERNELS } from './activations.js';
import { ARITHMETIC_KERNELS } from './arithmetic.js';
import { CAST_KERNELS } from './cast.js';
import { COMPARE_LOGIC_KERNELS } from './compare-logic.js';
import { CONCAT_SPLIT_KERNELS } from './concat-split.js';
import { GATHER_KERNELS } from './gather.js';
import { SHAPE_KERNELS } from './shape-ops.js';
import { SLICE_KERNELS } from './slice.js';
import { TRANSPOSE_KERNELS } from './transpose.js';
import { UNARY_MATH_KERNELS } from './unary-math.js';
import { VARIADIC_KERNELS } from './variadic.js';
import { WHERE_KERNELS } from './where.js';

/** Every scalar reference variant of the element-wise, shape, indexing, reduction and recurrent ops. */
export const OPS_KERNELS: KernelVariant[] = [
  ...UNARY_MATH_KERNELS,
  ...ACTIVATION_KERNELS,
  ...ARITHMETIC_KERNELS,
  ...COMPARE_LOGIC_KERNELS,
  ...VARIADIC_KERNELS,
  ...WHERE_KERNELS,
  ...SHAPE_KERNELS,
  ...CONCAT_SPLIT_KERNELS,
  ...TRANSPOSE_KERNELS,
  ...SLICE_KERNELS,
  ...GATHER_KERNELS,
  ...CAST_KERNELS,
];
