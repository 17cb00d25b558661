export { createNativeBackend } from './backend.js';
export { loadAddon } from './addon.js';
export type { NativeBackend, NativeBackendOptions } from './backend.js';
export type { AddonLoad, MallocTuningResult, NativeAddon, NativeFGemm, NativeFGemmBatch, NativeInfo, NativeKernelInfo, NativeDwConvBound, NativePool, NativeQGemm, NativeQGemmBatch } from './addon.js';
export type { NativeQInstance } from './matmul-integer.js';
export { FLOAT_TOLERANCE } from './matmul-float.js';
