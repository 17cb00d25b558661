/**
 * The default ONNX operator set is named `''` on the wire and may also be spelled `'ai.onnx'`. Decoding normalises
 * it to `''` (nodes, functions and opset imports), so a decoded model has one spelling; these helpers are the one
 * place the rule lives, for models built in memory too.
 */
import type { OpsetImport } from './types.js';

/** `'ai.onnx'` becomes `''`; every other domain is returned as given. */
export function normalizeDomain(domain: string): string {
  return domain === 'ai.onnx' ? '' : domain;
}

/** True for the default domain in either spelling (`''` or `'ai.onnx'`). */
export function isDefaultDomain(domain: string): boolean {
  return domain === '' || domain === 'ai.onnx';
}

/** The version of `domain` (default: the default domain) that `imports` lists, in either spelling; undefined if absent. */
export function importedOpset(imports: readonly OpsetImport[], domain = ''): number | undefined {
  const d = normalizeDomain(domain);
  return imports.find((o) => normalizeDomain(o.domain) === d)?.version;
}
