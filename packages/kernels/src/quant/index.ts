import type { KernelVariant } from '../contract.js';
import { CONV_INTEGER_KERNELS } from './conv-integer.js';
import { DEQUANTIZE_LINEAR_KERNELS } from './dequantize-linear.js';
import { DYNAMIC_QUANTIZE_LINEAR_KERNELS } from './dynamic-quantize-linear.js';
import { DYNAMIC_QMATMUL_KERNELS } from './dynamic-qmatmul.js';
import { QGEMM_KERNELS } from './qgemm.js';
import { DYNAMIC_QCONV_KERNELS } from './dynamic-qconv.js';
import { MATMUL_INTEGER_KERNELS } from './matmul-integer.js';
import { QLINEAR_CONV_KERNELS } from './qlinear-conv.js';
import { QLINEAR_MATMUL_KERNELS } from './qlinear-matmul.js';
import { QLINEAR_MATMUL_TO_FLOAT_KERNELS } from './qlinear-matmul-to-float.js';
import { QLOOKUP_KERNELS } from './qlookup.js';
import { QLOOKUP_GATE_KERNELS } from './qlookup-gate.js';
import { QLOOKUP2_KERNELS } from './qlookup2.js';
import { QUANTIZE_LINEAR_KERNELS } from './quantize-linear.js';

/** Every scalar reference variant of the integer and quantization ops. */
export const QUANT_KERNELS: KernelVariant[] = [
  ...MATMUL_INTEGER_KERNELS,
  ...CONV_INTEGER_KERNELS,
  ...QLINEAR_MATMUL_KERNELS,
  ...QLINEAR_MATMUL_TO_FLOAT_KERNELS,
  ...QLOOKUP_KERNELS,
  ...QLOOKUP_GATE_KERNELS,
  ...QLOOKUP2_KERNELS,
  ...QLINEAR_CONV_KERNELS,
  ...QUANTIZE_LINEAR_KERNELS,
  ...DEQUANTIZE_LINEAR_KERNELS,
  ...DYNAMIC_QUANTIZE_LINEAR_KERNELS,
  ...DYNAMIC_QMATMUL_KERNELS,
  ...QGEMM_KERNELS,
  ...DYNAMIC_QCONV_KERNELS,
];
