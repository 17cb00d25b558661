export { createWasmBackend, wasmVariants } from './backend.js';
export type { WasmBackendOptions } from './backend.js';
export type { WasmRuntime } from './runtime.js';
export { WasmHeap } from './heap.js';
export { loadModuleBytes } from './loader.js';
export type { ModuleName } from './loader.js';
export type { KernelExports, RelaxedExports } from './exports.js';
