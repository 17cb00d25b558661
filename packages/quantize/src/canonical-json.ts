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
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = normalize(x);
    }
    return out;
  }
  return v;
}
