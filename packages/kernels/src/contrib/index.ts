import type { KernelVariant } from '../contract.js';
import { DYNAMIC_QUANTIZE_LSTM_KERNELS } from './dynamic-quantize-lstm.js';
import { MATMUL_NBITS_KERNELS } from './matmul-nbits.js';

/**
 * Scalar references of the com.microsoft (onnxruntime contrib) ops that Lowbit's rewriters emit: MatMulNBits
 * (weight-only `format: 'matmulnbits'`) and DynamicQuantizeLSTM (dynamic quantization of LSTMs).
 */
export const CONTRIB_KERNELS: KernelVariant[] = [...MATMUL_NBITS_KERNELS, ...DYNAMIC_QUANTIZE_LSTM_KERNELS];
