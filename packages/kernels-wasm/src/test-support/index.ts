/** Shared by this package's tests: one backend per test file, relaxed SIMD switched on in Node 20 first. */
import { setFlagsFromString } from 'node:v8';
import { createReferenceRegistry, type AttrValue, type DType, type KernelNode, type KernelRegistry, type Tensor } from '@lowbit/kernels';
import { createWasmBackend } from '../backend.js';

/** A wasm backend (relaxed SIMD enabled where V8 needs the flag) and a registry of reference + wasm variants. */
export async function wasmRegistry(opts: { relaxed?: boolean } = {}): Promise<{ registry: KernelRegistry; backend: ReturnType<typeof createWasmBackend> }> {
  if (opts.relaxed !== false) setFlagsFromString('--experimental-wasm-relaxed-simd');
  const backend = createWasmBackend(opts.relaxed === false ? { disableRelaxed: true } : {});
  await backend.init();
  if (!backend.ready) throw new Error(`wasm backend not ready: ${backend.diagnostics.join('; ')}`);
  const registry = createReferenceRegistry().registerAll(backend.variants());
  // Local workaround until the harness resolves `Op:*` references itself: the dtype-generic reference of each key the
  // backend offers is also registered under the exact key, as `scalar`.
  for (const key of new Set(backend.variants().map((v) => v.key))) {
    if (registry.variants(key).some((v) => v.name === 'scalar')) continue;
    const generic = registry.variants(`${key.slice(0, key.indexOf(':'))}:*`).find((v) => v.name === 'scalar');
    if (generic) registry.register({ ...generic, key });
  }
  return { registry, backend };
}

export function mkNode(opType: string, inputTypes: (DType | null)[], attrs: Record<string, AttrValue> = {}, opset = 21, constants?: Map<number, Tensor>): KernelNode {
  return { name: `t_${opType}`, opType, domain: '', opset, attrs: new Map(Object.entries(attrs)), inputTypes, outputCount: 1, ...(constants ? { constants } : {}) };
}

/** mulberry32 in [0, 1). */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
