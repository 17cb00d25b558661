import type { KernelBackend } from '@lowbit/kernels';

/** The native kernel backend (being built: no variants yet). */
export function createNativeBackend(): KernelBackend {
  return { name: 'native', ready: false, isas: [], threads: 1, diagnostics: ['the native addon is not built yet'], init: async () => {}, variants: () => [] };
}
