export { GRAPH_OPTIMIZATION_LEVELS, optimizationPasses, optimizeForSession, optimizeModel } from './pipeline.js';
export type { GraphOptimizationLevel, OptimizationReport, OptimizeOptions } from './pipeline.js';
export { cancelDequantizeQuantize } from './cancel-dq-q.js';
export { foldBatchNorm } from './fold-batchnorm.js';
export { foldConstantDequantize } from './fold-dequantize.js';
export { fuseDynamicMatMul } from './fuse-dynamic.js';
export { fuseQdqQLinear } from './fuse-qlinear.js';
export { LOWBIT_DOMAIN, OPTIMIZE_OPTIONS_KEY } from './support.js';
export type { OptimizePassOptions } from './support.js';
