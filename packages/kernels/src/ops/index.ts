import type { KernelVariant } from '../contract.js';
import { ACTIVATION_KERNELS } from './activations.js';
import { ARITHMETIC_KERNELS } from './arithmetic.js';
import { COMPARE_LOGIC_KERNELS } from './compare-logic.js';
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
];
