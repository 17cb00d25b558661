/**
 * What made a quantized model, recorded in ModelProto.metadata_props (existing entries with these keys replaced):
 * - `lowbit.tool`: `lowbit/quantize <version>`
 * - `lowbit.mode`: static | dynamic | weight-only
 * - `lowbit.options`: the options as canonical JSON (sorted keys, no functions)
 * - `lowbit.calibration_sha256`: SHA-256 over the encoded calibration states in tensor-name order (static, GPTQ)
 */
import { sha256 } from './sha256.js';
import type { Model, StringEntry } from '@lowbit/onnx-ir';
import { canonicalJson } from './canonical-json.js';
import { QUANTIZE_VERSION, TOOL_NAME } from './version.js';

export const METADATA_KEYS = {
  tool: 'lowbit.tool', mode: 'lowbit.mode', options: 'lowbit.options', calibration: 'lowbit.calibration_sha256',
} as const;

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
