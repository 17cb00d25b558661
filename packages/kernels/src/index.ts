export { Tensor, DTYPE_SHORT, allocData, isDataOf, sizeOf } from './tensor.js';
export type { DType, DataOf, TensorData } from './tensor.js';
export type { AttrValue, Isa, KernelInstance, KernelNode, KernelVariant, Tolerance } from './contract.js';
export { KernelRegistry } from './registry.js';
export type { ResolvePolicy } from './registry.js';
export { KernelError, NoKernelError } from './errors.js';
export type { KernelErrorContext } from './errors.js';
