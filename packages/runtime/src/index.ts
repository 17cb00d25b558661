export { Session } from './session.js';
export type { RunOptions, SessionFeeds, SessionOptions, SessionResults, ValueMetadata } from './session.js';
export type { ForeignTensor } from './feeds.js';
export { Tensor } from '@lowbit/kernels';
export type { Arena, DType, Isa, KernelBackend } from '@lowbit/kernels';
export { BackendUnavailableError, FeedError, MissingValueError, ResourceLimitError, SessionOptionError } from './errors.js';
export type { BackendErrorContext, FeedErrorContext, OutputErrorContext, ResourceLimitErrorContext, SessionOptionErrorContext } from './errors.js';
export { NodeError } from '@lowbit/onnx-ir';
export { TensorSequence } from './values.js';
export { loadBackends, selectBackend, BACKEND_NAMES } from './backend.js';
export type { BackendName, BackendRequest, ChosenBackend, LoadBackendsOptions } from './backend.js';
export { MAX_ONNX_OPSET } from './plan.js';
export { RUNTIME_OPS } from './builtins.js';
export { OptionalNone } from './values.js';
export type { Value } from './values.js';
export type { PoolStats } from './buffer-pool.js';
export {
  GRAPH_OPTIMIZATION_LEVELS, LOWBIT_DOMAIN, cancelDequantizeQuantize, foldBatchNorm, foldConstantDequantize, foldTransposeMatMul, fuseDynamicMatMul, fuseDynamicSiblings,
  forwardSliceConcat, fuseConcatQuantize, fuseGeluErf, fuseGeluQuantize, fuseLayerNormQuantize, fuseQdqQLinear, fuseQLinearMatMulDequantize, fuseLookupGate, fuseQuantizedLookup, fuseQuantizedPair, fuseQLinearSiblings, fuseResidualAdd, optimizationPasses, optimizeModel, sinkMaxPoolLookup, sinkTransposeQuantize,
} from './optimize/index.js';
export type { GraphOptimizationLevel, OptimizationReport, OptimizeOptions, OptimizePassOptions } from './optimize/index.js';
