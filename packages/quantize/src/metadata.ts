/**
 * What made a quantized model, recorded in ModelProto.metadata_props (existing entries with these keys replaced):
 * - `lowbit.tool`: `lowbit/quantize <version>`
 * - `lowbit.mode`: static | dynamic | weight-only
 * - `lowbit.options`: the options as canonical JSON (sorted keys, no functions)
 * - `lowbit.calibration_sha256`: SHA-256 over the encoded calibration states in tensor-name order (static, GPTQ)
 * - `lowbit.smooth_quant`: static with SmoothQuant: the alpha applied per MatMul (node name -> alpha), canonical JSON
 */
import { sha256 } from './sha256.js';
import type { Model, StringEntry } from '@lowbit/onnx-ir';
import { canonicalJson } from './canonical-json.js';
import { QUANTIZE_VERSION, TOOL_NAME } from './version.js';

export const METADATA_KEYS = {
  tool: 'lowbit.tool', mode: 'lowbit.mode', options: 'lowbit.options', calibration: 'lowbit.calibration_sha256',
} as const;

/** Metadata key of the SmoothQuant alphas (static with `smoothQuant`). */
export const SMOOTH_QUANT_KEY = 'lowbit.smooth_quant';

/** `m` with the SmoothQuant alphas recorded under `lowbit.smooth_quant` (replacing an older entry). */
export function withSmoothQuantAlphas(m: Model, alphas: Readonly<Record<string, number>>): Model {
  const key = SMOOTH_QUANT_KEY;
  return { ...m, metadataProps: [...m.metadataProps.filter((e) => e.key !== key), { key, value: canonicalJson(alphas) }] };
}

/** SHA-256 (hex) of `states` taken in sorted-name order: name, length, bytes for each. */
export function statisticsHash(states: ReadonlyMap<string, Uint8Array>): string {
  const h = sha256();
  for (const name of [...states.keys()].sort()) {
    const b = states.get(name)!;
    h.update(name);
    h.update(`:${b.length}:`);
    h.update(b);
  }
  return h.digest('hex');
}

export function withProvenance(m: Model, mode: string, options: object, calibrationHash?: string): Model {
  const entries: StringEntry[] = [
    { key: METADATA_KEYS.tool, value: `${TOOL_NAME}/quantize ${QUANTIZE_VERSION}` },
    { key: METADATA_KEYS.mode, value: mode },
    { key: METADATA_KEYS.options, value: canonicalJson(options) },
    ...(calibrationHash ? [{ key: METADATA_KEYS.calibration, value: calibrationHash }] : []),
  ];
  const keys = new Set<string>(Object.values(METADATA_KEYS));
  return { ...m, metadataProps: [...m.metadataProps.filter((e) => !keys.has(e.key)), ...entries] };
}
