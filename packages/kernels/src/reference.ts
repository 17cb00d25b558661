/**
 * The scalar reference registry: every TypeScript reference kernel, the specification that optimized variants
 * (WebAssembly, native) are checked against by the equivalence harness in `@lowbit/testing`.
 */
import type { KernelVariant } from './contract.js';
import { CONTRIB_KERNELS } from './contrib/index.js';
import { NN_KERNELS } from './nn/index.js';
import { OPS_KERNELS } from './ops/index.js';
import { QUANT_KERNELS } from './quant/index.js';
import { KernelRegistry } from './registry.js';

/**
 * All scalar reference variants (element-wise/shape/reduction ops, nn ops, integer and quantization ops, and the
 * com.microsoft contrib ops Lowbit's rewriters emit).
 */
export function referenceKernels(): KernelVariant[] {
  return [...OPS_KERNELS, ...NN_KERNELS, ...QUANT_KERNELS, ...CONTRIB_KERNELS];
}

/**
 * A fresh registry holding every scalar reference kernel. Each call returns a new instance (registries are never
 * global), so a caller may register optimized variants into it without affecting anyone else.
 *
 * @example
 * const registry = createReferenceRegistry();
 * const conv = registry.resolve('Conv:f32').create(node);
 */
export function createReferenceRegistry(): KernelRegistry {
  return new KernelRegistry().registerAll(referenceKernels());
}
