import { readRegularFile } from '@lowbit/onnx-ir';
import { parseRecipe, type Recipe } from '@lowbit/quantize';
import { UsageError } from '../exit-codes.js';

const SHORT: Readonly<Record<string, string>> = { u8: 'uint8', s8: 'int8', u16: 'uint16', s16: 'int16', u4: 'uint4', s4: 'int4' };
const METHOD: Readonly<Record<string, string>> = { minmax: 'minmax', entropy: 'entropy', percentile: 'percentile', mse: 'mse', distribution: 'distribution', meanstd: 'meanstd' };

/** Flags as commander parses them for `lowbit quantize`. */
export interface QuantizeFlags {
  output: string;
  mode: 'dynamic' | 'static' | 'weight-only';
  format: 'qdq' | 'qoperator';
  calib?: string;
  calibCount?: number;
  method: string;
  stats?: string;
  perChannel?: boolean;
  allowQuantizedInput?: boolean;
  reduceRange?: boolean;
  activationType?: string;
  weightType?: string;
  symmetricActivations?: boolean;
  symmetricWeights?: boolean;
  opTypes?: string[];
  excludeNodes?: string[];
  blockSize?: number;
  algorithm: 'rtn' | 'gptq' | 'awq';
  recipe?: string;
  overwrite?: boolean;
  json?: boolean;
  resize?: [number, number];
  mean?: number[];
  std?: number[];
  layout: 'nchw' | 'nhwc';
  bins?: number;
  levels?: number;
  histogram?: 'signed' | 'abs';
  smoothing?: number;
  percentile?: number;
  numStd?: number;
  keepSensitive?: boolean;
  lstm?: 'dynamic' | 'float';
  cle?: boolean;
  biasCorrection?: boolean;
  smoothQuant?: boolean | number | 'search';
}

/** Which flags the user typed (commander fills defaults, and a recipe must not be overridden by a default). */
export type Explicit = (flag: keyof QuantizeFlags) => boolean;

/**
 * The quantize options: the recipe's (if any), then every flag the user gave on the command line on top.
 * The result is validated by @lowbit/quantize's recipe parser, so a bad combination is a typed error.
 */
export async function resolveRecipe(f: QuantizeFlags, explicit: Explicit): Promise<Recipe> {
  let base: Record<string, unknown> = {};
  if (f.recipe) {
    let text: string;
    try {
      text = new TextDecoder().decode(await readRegularFile(f.recipe, 1 << 20, '--recipe file'));
    } catch (err) {
      throw new UsageError(`--recipe ${f.recipe}: cannot read the file (${(err as Error).message})`, { option: '--recipe' });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new UsageError(`--recipe ${f.recipe}: not valid JSON (${(err as Error).message})`, { option: '--recipe' });
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      const actual = parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : typeof parsed;
      throw new UsageError(`--recipe ${f.recipe}: expected a JSON object, got ${actual}`, { option: '--recipe', expected: 'a JSON object', actual });
    }
    base = parsed as Record<string, unknown>;
  }
  const mode = explicit('mode') || !base.mode ? f.mode : (base.mode as string);
  const o: Record<string, unknown> = { ...base, mode };
  const set = (flag: keyof QuantizeFlags, key: string, value: unknown) => {
    if (explicit(flag)) o[key] = value;
  };
  set('perChannel', 'perChannel', true);
  set('allowQuantizedInput', 'allowQuantizedInput', true);
  set('reduceRange', 'reduceRange', true);
  set('symmetricWeights', 'weightSymmetric', true);
  set('opTypes', 'opTypesToQuantize', f.opTypes);
  set('excludeNodes', 'nodesToExclude', f.excludeNodes);
  set('weightType', 'weightType', f.weightType && (SHORT[f.weightType] ?? f.weightType));
  if (mode === 'static') {
    set('format', 'quantFormat', f.format === 'qoperator' ? 'QOperator' : 'QDQ');
    set('method', 'calibrationMethod', METHOD[f.method]);
    set('activationType', 'activationType', f.activationType && (SHORT[f.activationType] ?? f.activationType));
    set('symmetricActivations', 'activationSymmetric', true);
    set('keepSensitive', 'keepSensitiveFloat', f.keepSensitive);
    set('cle', 'crossLayerEqualization', true);
    set('lstm', 'lstm', f.lstm);
    set('biasCorrection', 'biasCorrection', true);
    set('smoothQuant', 'smoothQuant', f.smoothQuant);
    const cal: Record<string, unknown> = { ...(base.calibration as Record<string, unknown> | undefined) };
    for (const k of ['bins', 'levels', 'histogram', 'smoothing', 'percentile', 'numStd'] as const) if (explicit(k)) cal[k] = f[k];
    if (Object.keys(cal).length > 0) o.calibration = cal;
  } else {
    if (mode === 'dynamic') set('keepSensitive', 'keepSensitiveFloat', f.keepSensitive);
    else if (explicit('keepSensitive')) throw new UsageError('--no-keep-sensitive applies to --mode static and dynamic only', { option: '--no-keep-sensitive', expected: 'static or dynamic', actual: mode });
    for (const flag of ['format', 'method', 'activationType', 'symmetricActivations', 'stats', 'bins', 'levels', 'histogram', 'smoothing', 'percentile', 'numStd', 'cle', 'lstm', 'smoothQuant', 'biasCorrection'] as const) {
      if (explicit(flag)) throw new UsageError(`--${kebab(flag)} applies to --mode static only`, { option: `--${kebab(flag)}`, expected: 'static', actual: mode });
    }
  }
  if (mode === 'weight-only') {
    set('blockSize', 'blockSize', f.blockSize);
    set('algorithm', 'algorithm', f.algorithm);
  } else {
    for (const flag of ['blockSize', 'algorithm'] as const) {
      if (explicit(flag)) throw new UsageError(`--${kebab(flag)} applies to --mode weight-only only`, { option: `--${kebab(flag)}`, expected: 'weight-only', actual: mode });
    }
  }
  return parseRecipe(o);
}

function kebab(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
