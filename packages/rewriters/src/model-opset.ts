/** Model-level opset helpers: the default-domain opset, setting it (with the IR version floor), and swapping in a new graph. */
import { importedOpset, isDefaultDomain } from '@lowbit/onnx-ir';
import type { Graph, Model } from '@lowbit/onnx-ir';

/** The default-domain opset version, or 1 when absent. */
export function onnxOpset(m: Model): number {
  return importedOpset(m.opsetImports) ?? 1;
}

/** Model with `graph` (same object back when the graph did not change). */
export function withGraph(m: Model, graph: Graph): Model {
  return graph === m.graph ? m : { ...m, graph };
}

/** Model with the default-domain opset set to `version` and extra domain imports added. */
export function withOpset(m: Model, version: number, extraDomains: readonly { domain: string; version: number }[] = []): Model {
  let imports = m.opsetImports.map((o) => (isDefaultDomain(o.domain) ? { ...o, version } : o));
  if (!imports.some((o) => isDefaultDomain(o.domain))) imports = [{ domain: '', version }, ...imports];
  for (const d of extraDomains) if (!imports.some((o) => o.domain === d.domain)) imports = [...imports, d];
  // IR version floor for the opset (onnx/helper VERSION_TABLE: opset 13 -> IR 7, 19 -> 9, 21 -> 10).
  const irFloor = version >= 21 ? 10 : version >= 19 ? 9 : version >= 15 ? 8 : version >= 13 ? 7 : version >= 11 ? 6 : 4;
  return { ...m, opsetImports: imports, irVersion: Math.max(m.irVersion, irFloor) };
}
