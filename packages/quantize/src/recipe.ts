/**
 * JSON recipes: the options of one quantization mode as a JSON object, validated strictly (an unknown key, a wrong
 * type or an unknown enum value is a QuantizeError naming the key path). Example:
 * `{ "mode": "static", "quantFormat": "QDQ", "perChannel": true, "calibrationMethod": "entropy",
 *    "nodesToExclude": ["fc"], "tensorOverrides": { "x": { "scale": 0.02, "zeroPoint": 128 } } }`.
 * onnxruntime's QuantType names (`QUInt8`, `QInt8`, ...) are accepted and normalized to dtype names.
 */
import { QuantizeError } from './errors.js';
import { CalibrationMethod, QuantFormat, QuantType } from './types.js';
import type { DynamicQuantizeOptions, StaticQuantizeOptions, WeightOnlyQuantizeOptions } from './types.js';

export type Recipe =
  | { readonly mode: 'static'; readonly options: StaticQuantizeOptions }
  | { readonly mode: 'dynamic'; readonly options: DynamicQuantizeOptions }
  | { readonly mode: 'weight-only'; readonly options: WeightOnlyQuantizeOptions };

type Check = (v: unknown, path: string) => unknown;

const fail = (path: string, expected: string, v: unknown): never => {
  throw new QuantizeError({ where: 'recipe', option: path, expected, actual: JSON.stringify(v) ?? String(v) }, 'invalid value');
};
const bool: Check = (v, p) => (typeof v === 'boolean' ? v : fail(p, 'a boolean', v));
const num: Check = (v, p) => (typeof v === 'number' && Number.isFinite(v) ? v : fail(p, 'a finite number', v));
const int = (lo: number, hi: number): Check => (v, p) => (Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi ? v : fail(p, `an integer in [${lo}, ${hi}]`, v));
const oneOf = (values: readonly string[]): Check => (v, p) => (typeof v === 'string' && values.includes(v) ? v : fail(p, `one of ${values.join(', ')}`, v));
const strings: Check = (v, p) => (Array.isArray(v) && v.every((s) => typeof s === 'string') ? [...v] : fail(p, 'an array of strings', v));
const qtype: Check = (v, p) => {
  if (typeof v === 'string') {
    if ((Object.values(QuantType) as string[]).includes(v)) return v;
    if (Object.prototype.hasOwnProperty.call(QuantType, v)) return QuantType[v as keyof typeof QuantType];
  }
  return fail(p, `a QuantType (${Object.keys(QuantType).join(', ')} or ${Object.values(QuantType).join(', ')})`, v);
};
const scheme = oneOf(['asymmetric', 'symmetric', 'symmetric-restricted']);

function object(shape: Readonly<Record<string, Check>>): Check {
  return (v, p) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(p, 'an object', v);
    const out: [string, unknown][] = [];
    for (const [k, x] of Object.entries(v)) {
      const path = p ? `${p}.${k}` : k;
      const c = Object.prototype.hasOwnProperty.call(shape, k) ? shape[k] : undefined;
      if (!c) throw new QuantizeError({ where: 'recipe', option: path, expected: `one of ${Object.keys(shape).join(', ')}` }, 'unknown key');
      out.push([k, c(x, path)]);
    }
    return Object.fromEntries(out);
  };
}

function record(value: Check): Check {
  return (v, p) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(p, 'an object', v);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, value(x, `${p}.${k}`)]));
  };
}

const tensorOverride = object({
  dtype: qtype, scheme, granularity: oneOf(['per-tensor', 'per-channel']), axis: int(-8, 8),
  scale: num, zeroPoint: int(-32768, 65535), range: object({ min: num, max: num }),
});
const nodeOverride = object({ activationType: qtype, weightType: qtype, perChannel: bool, activationScheme: scheme, weightScheme: scheme });

const COMMON: Record<string, Check> = {
  opTypesToQuantize: strings, nodesToQuantize: strings, nodesToExclude: strings, perChannel: bool, reduceRange: bool, allowQuantizedInput: bool,
  weightType: qtype, weightSymmetric: bool, tensorOverrides: record(tensorOverride), nodeOverrides: record(nodeOverride),
  opset: int(7, 23), save: object({ externalDataThreshold: int(0, 2 ** 40), externalDataFile: (v, p) => (typeof v === 'string' ? v : fail(p, 'a string', v)) }),
};

const SHAPES = {
  static: object({
    ...COMMON, mode: oneOf(['static']), quantFormat: oneOf(Object.values(QuantFormat)), activationType: qtype, activationSymmetric: bool,
    calibrationMethod: oneOf(Object.values(CalibrationMethod)), quantizeOutputs: oneOf(['all', 'consumed']), keepSensitiveFloat: bool, lstm: oneOf(['dynamic', 'float']), crossLayerEqualization: bool, biasCorrection: bool, smoothQuant: (v, p) => (typeof v === 'boolean' || typeof v === 'number' || v === 'search' ? v : fail(p, "true, 'search' or an alpha in [0, 1]", v)),
    calibration: object({ percentile: num, bins: int(8, 1 << 16), levels: int(2, 1 << 16), numStd: num, histogram: oneOf(['signed', 'abs']), smoothing: num }),
  }),
  dynamic: object({ ...COMMON, mode: oneOf(['dynamic']), conv: oneOf(['conv-integer', 'float']), activationMatMul: bool, keepSensitiveFloat: bool }),
  'weight-only': object({
    ...COMMON, mode: oneOf(['weight-only']), blockSize: int(16, 256), algorithm: oneOf(['rtn', 'gptq', 'awq']), actOrder: bool, damp: num,
    format: oneOf(['qdq', 'matmulnbits']),
  }),
} as const;

/** Parses and validates a recipe (a JSON string or an already-parsed object). */
export function parseRecipe(input: string | unknown): Recipe {
  let v: unknown = input;
  if (typeof input === 'string') {
    try {
      v = JSON.parse(input);
    } catch (e) {
      throw new QuantizeError({ where: 'recipe', expected: 'JSON' }, 'the recipe is not valid JSON', e);
    }
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail('', 'an object', v);
  const mode = (v as { mode?: unknown }).mode;
  if (mode !== 'static' && mode !== 'dynamic' && mode !== 'weight-only') return fail('mode', 'static, dynamic or weight-only', mode);
  const checked = SHAPES[mode](v, '') as Record<string, unknown>;
  const { mode: _m, ...options } = checked;
  return { mode, options } as Recipe;
}

/** The JSON form of options (functions and runners are not recipe material and are dropped). */
export function recipeOf(mode: Recipe['mode'], options: object): Record<string, unknown> {
  const out: Record<string, unknown> = { mode };
  for (const [k, v] of Object.entries(options)) {
    if (v === undefined || typeof v === 'function' || k === 'runner' || k === 'signal' || k === 'calibrationData' || k === 'statistics' || k === 'tensorStore') continue;
    out[k] = v;
  }
  return out;
}
