import type { Isa, KernelVariant } from './contract.js';
import { KernelError, NoKernelError } from './errors.js';

/** Preference order when several variants of a key run on this machine: later is better. */
const ISA_RANK: Readonly<Record<Isa, number>> = {
  scalar: 0, 'scalar-c': 1, 'wasm-simd128': 2, 'wasm-relaxed-simd': 3, neon: 4, 'neon-dot': 5, avx2: 6, 'avx-vnni': 7, 'avx512-vnni': 8,
};

export interface ResolvePolicy {
  /** ISAs this process can run (scalar is always available). */
  readonly available?: readonly Isa[];
  /** Force one ISA (LOWBIT_ISA); falls back to scalar only when the key has no variant for it. */
  readonly force?: Isa;
}

/**
 * Kernel variants by key. An instance, never a global: sessions receive the registry they use.
 * Registering the same (key, name) twice is an error.
 */
export class KernelRegistry {
  readonly #byKey = new Map<string, KernelVariant[]>();

  register(variant: KernelVariant): this {
    const list = this.#byKey.get(variant.key) ?? [];
    if (list.some((v) => v.name === variant.name)) {
      throw new KernelError(`kernel "${variant.key}" variant "${variant.name}" is already registered`, { key: variant.key, variant: variant.name });
    }
    list.push(variant);
    this.#byKey.set(variant.key, list);
    return this;
  }

  registerAll(variants: Iterable<KernelVariant>): this {
    for (const v of variants) this.register(v);
    return this;
  }

  has(key: string): boolean {
    return this.#byKey.has(key);
  }

  variants(key: string): readonly KernelVariant[] {
    return this.#byKey.get(key) ?? [];
  }

  keys(): string[] {
    return [...this.#byKey.keys()].sort();
  }

  /**
   * Best variant for `key` under `policy`. Tries `key`, then the wildcard `Op:*`. Throws NoKernelError listing the
   * keys tried when nothing matches.
   */
  resolve(key: string, policy: ResolvePolicy = {}): KernelVariant {
    const tried: string[] = [];
    for (const k of [key, wildcardOf(key)]) {
      if (k === undefined || tried.includes(k)) continue;
      tried.push(k);
      const found = pick(this.#byKey.get(k) ?? [], policy);
      if (found) return found;
    }
    throw new NoKernelError(key, tried);
  }
}

function wildcardOf(key: string): string | undefined {
  const i = key.indexOf(':');
  return i < 0 ? `${key}:*` : `${key.slice(0, i)}:*`;
}

function pick(list: readonly KernelVariant[], policy: ResolvePolicy): KernelVariant | undefined {
  if (list.length === 0) return undefined;
  const available = new Set<Isa>(['scalar', ...(policy.available ?? [])]);
  if (policy.force) {
    const forced = list.find((v) => v.isa === policy.force && available.has(v.isa));
    if (forced) return forced;
    return list.find((v) => v.isa === 'scalar');
  }
  let best: KernelVariant | undefined;
  for (const v of list) {
    if (!available.has(v.isa)) continue;
    if (!best || ISA_RANK[v.isa] > ISA_RANK[best.isa]) best = v;
  }
  return best;
}
