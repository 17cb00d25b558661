/**
 * Checking saved statistics against the quantization they are used for, and picking the states it needs.
 * In order: the file decodes (statistics-file.ts), its method equals `options.calibrationMethod` (default minmax),
 * its method settings equal the ones these options give, its model fingerprint equals the preprocessed model's
 * (so the same input model and the options that shape preprocessing: opset, 16/4-bit types), and it has a state
 * for every tensor to quantize (a file calibrated for more tensors, e.g. before `nodesToExclude`, is fine: only the
 * needed states are used and hashed). Every mismatch is a QuantizeError (option `statistics` or the option at
 * fault) with expected vs actual.
 */
import { canonicalJson } from './canonical-json.js';
import { OBSERVED_SUFFIX, methodPlan } from './calibration.js';
import { QuantizeError } from './errors.js';
import { modelFingerprint } from './fingerprint.js';
import { requireComplete } from './sharding.js';
import { decodeStatistics } from './statistics-file.js';
import { StatisticsMismatchError } from './statistics-mismatch.js';
import type { StaticPlan } from './static-plan.js';
import type { StaticQuantizeOptions } from './types.js';

export async function statesFromSaved(bytes: Uint8Array, plan: StaticPlan, options: StaticQuantizeOptions, where: string): Promise<Map<string, Uint8Array>> {
  const f = decodeStatistics(bytes, where);
  const h = f.header;
  if (h.stage === 'ranges') throw new StatisticsMismatchError({ where, field: 'stage', expected: 'statistics (from the statistics pass)', actual: 'a range file (first-pass min/max only)' }, 'a range file cannot quantize');
  requireComplete(f, where, 'saved statistics cover only some shards: merge them all first');
  if (h.method !== plan.method) {
    throw new QuantizeError({ where, option: 'calibrationMethod', expected: `"${h.method}" (the method the statistics were calibrated with)`, actual: `"${plan.method}"` }, 'saved statistics are for another calibration method');
  }
  const settings = canonicalJson(methodPlan(plan.method, options.calibration, where).spec);
  const saved = canonicalJson(h.settings);
  if (settings !== saved) {
    throw new QuantizeError({ where, option: 'calibration', expected: `${saved} (the settings the statistics were calibrated with)`, actual: settings }, `saved statistics are for other "${plan.method}" settings`);
  }
  const fp = await modelFingerprint(plan.model);
  if (fp !== h.modelSha256) {
    throw new QuantizeError({ where, option: 'statistics', expected: `model fingerprint ${h.modelSha256}`, actual: `${fp} (another model, or options that change preprocessing: opset, 16/4-bit types)` }, 'saved statistics are for another model');
  }
  const keys = plan.tensors.flatMap((t) => [t, ...(plan.method === 'minmax' ? [] : [`${t}${OBSERVED_SUFFIX}`])]);
  // tensors inside control-flow bodies may have no state (no calibration batch took their branch)
  const missing = keys.filter((k) => !f.states.has(k) && !plan.optional.has(k.endsWith(OBSERVED_SUFFIX) ? k.slice(0, -OBSERVED_SUFFIX.length) : k));
  if (missing.length > 0) {
    throw new QuantizeError({ where, option: 'statistics', expected: `states for all ${plan.tensors.length} tensors to quantize`, actual: `${missing.length} missing (${missing.slice(0, 5).map((k) => `"${k}"`).join(', ')}${missing.length > 5 ? ', ...' : ''})` }, 'saved statistics do not cover the tensors to quantize');
  }
  return new Map(keys.filter((k) => f.states.has(k)).map((k) => [k, f.states.get(k)!]));
}
