import type { KernelVariant } from '../contract.js';
import { BATCH_NORM_KERNELS } from './batch-norm.js';
import { CONV_TRANSPOSE_KERNELS } from './conv-transpose.js';
import { CONV_KERNELS } from './conv.js';
import { GELU_ERF_KERNELS } from './gelu-erf.js';
import { GEMM_KERNELS } from './gemm.js';
import { GLOBAL_POOL_KERNELS } from './global-pool.js';
import { INSTANCE_NORM_KERNELS } from './instance-norm.js';
import { LAYER_NORM_KERNELS } from './layer-norm.js';
import { LRN_KERNELS } from './lrn.js';
import { MATMUL_KERNELS } from './matmul.js';
import { PERMUTED_MATMUL_KERNELS } from './permuted-matmul.js';
import { POOL_KERNELS } from './pool.js';

/** Every scalar reference variant of the float neural-network ops (Conv, Gemm, MatMul, pools, normalizations). */
export const NN_KERNELS: KernelVariant[] = [
  ...CONV_KERNELS,
  ...CONV_TRANSPOSE_KERNELS,
  ...GEMM_KERNELS,
  ...MATMUL_KERNELS,
  ...POOL_KERNELS,
  ...GLOBAL_POOL_KERNELS,
  ...BATCH_NORM_KERNELS,
  ...INSTANCE_NORM_KERNELS,
  ...LAYER_NORM_KERNELS,
  ...LRN_KERNELS,
  ...GELU_ERF_KERNELS,
  ...PERMUTED_MATMUL_KERNELS,
];
