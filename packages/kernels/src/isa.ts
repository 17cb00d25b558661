/**
 * The instruction sets kernel variants target: one list, owned here. Order is preference when several variants of a
 * key run on this machine (later is better): portable code first, then WebAssembly, then native by width and by
 * integer dot-product support.
 */
export const ISAS = [
  'scalar',
  'scalar-c',
  'wasm-simd128',
  'wasm-relaxed',
  'neon',
  'neon-dot',
  'avx2',
  'avx512',
  'avx-vnni',
  'avx512-vnni',
  'amx-int8',
] as const;

export type Isa = (typeof ISAS)[number];

/** Preference rank of an ISA (higher is better). */
export function isaRank(isa: Isa): number {
  return ISAS.indexOf(isa);
}

export function isIsa(x: unknown): x is Isa {
  return typeof x === 'string' && (ISAS as readonly string[]).includes(x);
}
