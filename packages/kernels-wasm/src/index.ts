import type { KernelBackend } from '@lowbit/kernels';

/** The WebAssembly kernel backend (being built: no variants yet). */
export function createWasmBackend(): KernelBackend {
  return { name: 'wasm', ready: false, isas: [], threads: 1, diagnostics: ['no WebAssembly kernels are built yet'], init: async () => {}, variants: () => [] };
}
