import type { KernelNode, KernelVariant } from './contract.js';
import { KernelError, NoKernelError } from './errors.js';
import { isaRank, type Isa } from './isa.js';

export interface ResolvePolicy {
  /** ISAs this process can run (scalar is always available). */
  readonly available?: readonly Isa[];
  /**
   * Force one ISA (LOWBIT_ISA): variants of better ISAs are not used. When the key has no variant for the forced ISA
   * (or it declines the node), the next best ISA below it is taken, down to the reference.
   */
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
   * Best variant for `key` under `policy`: among the variants whose ISA is available (and not above a forced ISA),
   * the best-ranked one that `supports(node)` (when a node is given). Tries `key`, then the wildcard `Op:*`. Throws
   * NoKernelError listing the keys tried when nothing matches.
   */
  resolve(key: string, policy: ResolvePolicy = {}, node?: KernelNode): KernelVariant {
    return this.candidates(key, policy, node)[0] ?? this.#none(key);
  }

  /**
   * Every variant `resolve` could pick for `key`, best first (exact-key variants before the `Op:*` wildcard ones),
   * minus those that decline `node`. Empty when nothing matches.
   */
  candidates(key: string, policy: ResolvePolicy = {}, node?: KernelNode): KernelVariant[] {
    const available = new Set<Isa>(['scalar', ...(policy.available ?? [])]);
    const ceiling = policy.force === undefined ? Infinity : isaRank(policy.force);
    const out: KernelVariant[] = [];
    for (const k of keysToTry(key)) {
      const list = (this.#byKey.get(k) ?? [])
        .filter((v) => available.has(v.isa) && isaRank(v.isa) <= ceiling)
        .sort((a, b) => isaRank(b.isa) - isaRank(a.isa));
      for (const v of list) if (!node || !v.supports || v.supports(node)) out.push(v);
    }
    return out;
  }

  #none(key: string): never {
    throw new NoKernelError(key, keysToTry(key));
  }
}

function keysToTry(key: string): string[] {
  const w = wildcardOf(key);
  return w === key ? [key] : [key, w];
}

function wildcardOf(key: string): string {
  const i = key.indexOf(':');
  return i < 0 ? `${key}:*` : `${key.slice(0, i)}:*`;
}
