/**
 * Deterministic JSON: object keys sorted, Maps as sorted objects, typed arrays as arrays, functions as
 * `"<function>"`, undefined dropped. Used for the options recorded in metadata_props (byte-identical output).
 */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(normalize(v));
}

function normalize(v: unknown): unknown {
  if (typeof v === 'function') return '<function>';
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Map) return normalize(Object.fromEntries([...v.entries()].map(([k, x]) => [String(k), x])));
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === 'object') {
    const keys = Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined);
    return Object.fromEntries(keys.map((k) => [k, normalize((v as Record<string, unknown>)[k])]));
  }
  return v;
}
