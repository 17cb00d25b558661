/**
 * Shared by the native tests: one initialised backend per test file, a registry holding the reference of a key plus
 * exactly one native variant (so each variant is checked on its own: AVX2 is exercised on a VNNI/AMX machine too),
 * and node builders.
 */
import { KernelRegistry, Tensor, referenceKernels, type DType, type KernelNode, type KernelVariant } from '@lowbit/kernels';
import { createNativeBackend, type NativeBackend } from './backend.js';

/** With several threads every op splits however small (`grain: false`), so small test shapes run the parallel paths. */
export async function readyBackend(threads = 1, grain = false): Promise<NativeBackend> {
  const b = createNativeBackend({ grain });
  await b.init({ threads });
  return b;
}

/** A registry with the scalar reference of `variant.key` and `variant` itself. */
export function registryWith(variant: KernelVariant): KernelRegistry {
  return new KernelRegistry().registerAll(referenceKernels().filter((v) => v.key === variant.key)).register(variant);
}

/**
 * `variant` with every instance it creates recorded, so a test can check afterwards how many runs went to the
 * reference fallback instead of the native kernel (`referenceRuns`).
 */
export function tracked(variant: KernelVariant): { variant: KernelVariant; referenceRuns: () => number; instances: () => number } {
  const made: { referenceRuns?: number }[] = [];
  return {
    variant: { ...variant, create: (n) => { const i = variant.create(n); made.push(i as { referenceRuns?: number }); return i; } },
    referenceRuns: () => made.reduce((s, i) => s + (i.referenceRuns ?? 0), 0),
    instances: () => made.length,
  };
}

export function node(opType: string, inputTypes: readonly (DType | null)[], constants?: ReadonlyMap<number, Tensor>, attrs: ReadonlyMap<string, number> = new Map()): KernelNode {
  return { name: `${opType.toLowerCase()}0`, opType, domain: '', opset: 13, attrs, inputTypes, outputCount: 1, ...(constants ? { constants } : {}) };
}
