import type { KernelVariant } from '../contract.js';
import { ACTIVATION_KERNELS } from './activations.js';
import { AFFINE_GRID_KERNELS } from './affine-grid.js';
import { ARGMINMAX_KERNELS } from './argminmax.js';
import { ARITHMETIC_KERNELS } from './arithmetic.js';
import { ATTENTION_KERNELS } from './attention.js';
import { BITCAST_KERNELS } from './bitcast.js';
import { BITWISE_KERNELS } from './bitwise.js';
import { CAST_KERNELS } from './cast.js';
import { CAUSAL_CONV_KERNELS } from './causal-conv.js';
import { CENTER_CROP_PAD_KERNELS } from './center-crop-pad.js';
import { COL2IM_KERNELS } from './col2im.js';
import { COMPARE_LOGIC_KERNELS } from './compare-logic.js';
import { COMPRESS_KERNELS } from './compress.js';
import { CONCAT_SPLIT_KERNELS } from './concat-split.js';
import { CUMULATIVE_KERNELS } from './cumulative.js';
import { DEPTH_SPACE_KERNELS } from './depth-space.js';
import { DETERMINANT_KERNELS } from './determinant.js';
import { DFT_KERNELS } from './dft.js';
import { DROPOUT_KERNELS } from './dropout.js';
import { EINSUM_KERNELS } from './einsum.js';
import { GATHER_KERNELS } from './gather.js';
import { GENERATE_KERNELS } from './generate.js';
import { GRID_SAMPLE_KERNELS } from './grid-sample.js';
import { LINEAR_ATTENTION_KERNELS } from './linear-attention.js';
import { LOSS_KERNELS } from './losses.js';
import { ML_KERNELS } from './ml.js';
import { NMS_KERNELS } from './nms.js';
import { NORMALIZATION_KERNELS } from './normalizations.js';
import { OPTIMIZER_KERNELS } from './optimizers.js';
import { PAD_KERNELS } from './pad.js';
import { RECURRENT_KERNELS } from './recurrent.js';
import { REDUCE_KERNELS } from './reduce.js';
import { RESIZE_KERNELS } from './resize.js';
import { REVERSE_SEQUENCE_KERNELS } from './reverse-sequence.js';
import { ROI_ALIGN_KERNELS } from './roi-align.js';
import { ROTARY_KERNELS } from './rotary-embedding.js';
import { SCATTER_KERNELS } from './scatter.js';
import { SHAPE_KERNELS } from './shape-ops.js';
import { SIGNAL_WINDOW_KERNELS } from './signal-windows.js';
import { SLICE_KERNELS } from './slice.js';
import { STRING_KERNELS } from './strings.js';
import { SOFTMAX_KERNELS } from './softmax.js';
import { TFIDF_KERNELS } from './tfidf.js';
import { TOPK_KERNELS } from './topk.js';
import { TREE_ENSEMBLE_KERNELS } from './tree-ensemble.js';
import { TRANSPOSE_KERNELS } from './transpose.js';
import { TRILU_KERNELS } from './trilu.js';
import { UNARY_MATH_KERNELS } from './unary-math.js';
import { UNIQUE_KERNELS } from './unique.js';
import { VARIADIC_KERNELS } from './variadic.js';
import { WHERE_KERNELS } from './where.js';

/**
 * Every scalar reference variant of the element-wise, shape, indexing, reduction, resampling, signal, attention and
 * recurrent ops (the nn/ and quant/ folders hold Conv/Gemm/pools/norms and the integer kernels). Each is registered
 * under `Op:*`; see the README's "Reference ops" section for the list and conventions.
 */
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
  ...ARGMINMAX_KERNELS,
  ...DEPTH_SPACE_KERNELS,
  ...GENERATE_KERNELS,
  ...PAD_KERNELS,
  ...REDUCE_KERNELS,
  ...SOFTMAX_KERNELS,
  ...TOPK_KERNELS,
  ...TRILU_KERNELS,
  ...CUMULATIVE_KERNELS,
  ...SCATTER_KERNELS,
  ...RESIZE_KERNELS,
  ...RECURRENT_KERNELS,
  ...EINSUM_KERNELS,
  ...DROPOUT_KERNELS,
  ...BITWISE_KERNELS,
  ...COMPRESS_KERNELS,
  ...REVERSE_SEQUENCE_KERNELS,
  ...UNIQUE_KERNELS,
  ...NMS_KERNELS,
  ...CENTER_CROP_PAD_KERNELS,
  ...GRID_SAMPLE_KERNELS,
  ...SIGNAL_WINDOW_KERNELS,
  ...BITCAST_KERNELS,
  ...DETERMINANT_KERNELS,
  ...LOSS_KERNELS,
  ...ROTARY_KERNELS,
  ...ATTENTION_KERNELS,
  ...ROI_ALIGN_KERNELS,
  ...DFT_KERNELS,
  ...AFFINE_GRID_KERNELS,
  ...COL2IM_KERNELS,
  ...CAUSAL_CONV_KERNELS,
  ...LINEAR_ATTENTION_KERNELS,
  ...STRING_KERNELS,
  ...TFIDF_KERNELS,
  ...ML_KERNELS,
  ...OPTIMIZER_KERNELS,
  ...TREE_ENSEMBLE_KERNELS,
  ...NORMALIZATION_KERNELS,
];
