/**
 * Calibration for static quantization: @lowbit/calibrators' `calibrate` over the user's data, observing the tensors
 * `insert-qdq` will quantize, with the model run by the injected runner (default @lowbit/runtime).
 *
 * Calibration yields encoded states (the statistics); ranges always come from decoding them (`rangesFromStates`), so
 * quantizing from saved statistics (see statistics-file.ts) and quantizing after calibrating in the same call take
 * the very same path from states to ranges.
 */
import { builtinCalibrators, calibrate, distiller, entropy, minMax, peekKind, percentile } from '@lowbit/calibrators';
import type { CalibrationData, CalibrationPlanTarget, Calibrator, Feeds, ObservableModel } from '@lowbit/calibrators';
import { QuantizeError } from './errors.js';
import { watchFinite } from './finite-data.js';
import type { CalibrationMethod, StaticQuantizeOptions } from './types.js';

/** Suffix of the key of the min-max state kept beside a non-min-max method's state (the clipping bound). */
export const OBSERVED_SUFFIX = '#observed';

/** How one method calibrates a tensor: the calibrator, its spec (without the prepass `range`), the two-pass switch. */
export interface MethodPlan {
  readonly calibrator: Calibrator<unknown, unknown>;
  /** Only the settings the method reads, with defaults filled in: recorded in saved statistics and compared on reuse. */
  readonly spec: Readonly<Record<string, unknown>>;
  readonly prepass: boolean;
}

/**
 * The calibrator and spec for `method` with the user's `calibration` settings. Settings a method does not read are
 * left out, so e.g. `bins` given with `minmax` changes nothing (and does not make saved statistics mismatch).
 * `meanstd` is Distiller's `n-std` clipping: `[max(min, mean - n std), min(max, mean + n std)]` over every observed
 * value (population std, exact sums), `n = calibration.numStd` (default 3).
 */
export function methodPlan(method: CalibrationMethod, o: StaticQuantizeOptions['calibration'], where = 'quantizeStatic'): MethodPlan {
  const c = o ?? {};
  const bins = c.bins !== undefined ? { bins: c.bins } : {};
  switch (method) {
    case 'minmax': return { calibrator: minMax, spec: { axis: null }, prepass: false };
    case 'percentile': return { calibrator: percentile, spec: { axis: null, percentile: c.percentile ?? 99.999, ...bins }, prepass: true };
    // A real threshold search by default: 2048 bins and 256 levels (an 8-bit type's), windows centred on zero over a
    // signed histogram (search over ~900 candidates). onnxruntime's EntropyCalibrater preset (128 bins, 128 levels)
    // has a single candidate, the full range, i.e. it equals minmax; pass { bins: 128, levels: 128 } to get it.
    case 'entropy': return { calibrator: entropy, spec: { axis: null, ...ENTROPY_DEFAULTS, ...bins, ...(c.levels !== undefined ? { levels: c.levels } : {}), ...(c.histogram !== undefined ? { histogram: c.histogram } : {}), ...(c.smoothing !== undefined ? { smoothing: c.smoothing } : {}) }, prepass: true };
    case 'meanstd': {
      const n = c.numStd ?? 3;
      if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw new QuantizeError({ where, option: 'calibration.numStd', expected: 'a finite number >= 0', actual: String(n) }, 'bad meanstd setting');
      return { calibrator: distiller, spec: { axis: null, mode: 'n-std', nStd: n }, prepass: false };
    }
    case 'mse': return { calibrator: need('mse', where), spec: { axis: null, ...bins }, prepass: true };
    case 'distribution': return { calibrator: need('distribution', where), spec: { axis: null }, prepass: false };
    default:
      throw new QuantizeError({ where, option: 'calibrationMethod', expected: 'minmax, entropy, percentile, mse, distribution or meanstd', actual: String(method) }, 'unknown calibration method');
  }
}

/** Default entropy search: 2048 bins, 256 levels, signed histogram, windows centred on zero. */
export const ENTROPY_DEFAULTS = { bins: 2048, levels: 256, histogram: 'signed' } as const;

/** The `calibration` settings each method reads (the rest are ignored by it). */
const SETTINGS_READ: Readonly<Record<CalibrationMethod, readonly ('percentile' | 'bins' | 'levels' | 'numStd' | 'histogram' | 'smoothing')[]>> = {
  minmax: [], percentile: ['percentile', 'bins'], entropy: ['bins', 'levels', 'histogram', 'smoothing'], mse: ['bins'], distribution: [], meanstd: ['numStd'],
};

/** The part of the user's `calibration` settings that `method` reads (as given, defaults not filled in). */
export function settingsRead(method: CalibrationMethod, o: StaticQuantizeOptions['calibration']): NonNullable<StaticQuantizeOptions['calibration']> {
  const out: Record<string, number | string> = {};
  for (const k of SETTINGS_READ[method] ?? []) if (o?.[k] !== undefined) out[k] = o[k]!;
  return out as NonNullable<StaticQuantizeOptions['calibration']>;
}

function need(kind: string, where: string): Calibrator<unknown, unknown> {
  const cal = builtinCalibrators[kind];
  if (!cal) throw new QuantizeError({ where, option: 'calibrationMethod', expected: Object.keys(builtinCalibrators).join(', '), actual: kind }, 'calibration method not available');
  return cal;
}

function targetFor(tensor: string, p: MethodPlan, optional: ReadonlySet<string> | undefined): CalibrationPlanTarget {
  return { tensor, calibrator: p.calibrator, spec: p.spec, prepass: p.prepass, ...(optional?.has(tensor) ? { optional: true } : {}) };
}

/**
 * The data as a function returning a fresh iterable per read (calibration reads it at most twice: the histogram
 * methods' min-max prepass that fixes their bin edges, then the pass that collects every statistic). A reader is
 * rewound before every read after the first; a reader without `rewind` can be read once only.
 */
export function rereadable(data: CalibrationData): CalibrationData {
  if (typeof data === 'function') return data;
  if ('getNext' in data && typeof data.getNext === 'function') {
    const reader = data;
    let reads = 0;
    return () => ({
      async *[Symbol.asyncIterator]() {
        if (reads++ > 0) {
          if (typeof reader.rewind !== 'function') throw new QuantizeError({ where: 'quantizeStatic', option: 'calibrationData', expected: 'a reader with rewind() (histogram methods read the data twice)' }, 'cannot re-read the calibration data');
          await reader.rewind();
        }
        for (;;) {
          const f = await reader.getNext();
          if (f === null || f === undefined) return;
          yield f;
        }
      },
    });
  }
  const it = data as Iterable<Feeds> | AsyncIterable<Feeds>;
  return () => it;
}

export interface CalibratedStates {
  /** `tensor` -> the method's state; `tensor#observed` -> a min-max state (methods other than minmax). */
  readonly states: Map<string, Uint8Array>;
  /** Batches read in the method's pass. */
  readonly batches: number;
}

/**
 * Runs calibration and returns the encoded states (no ranges: see `rangesFromStates`). One pass over the data
 * collects every statistic: the method's state and, beside it, the `#observed` min-max state (a second key on the
 * same tensor); only the histogram methods read the data once more before it, for their bin edges.
 */
export async function calibrateStates(model: ObservableModel, input: CalibrationData, tensors: readonly string[], method: CalibrationMethod, o: StaticQuantizeOptions['calibration'], signal?: AbortSignal, where = 'quantizeStatic', optional?: ReadonlySet<string>): Promise<CalibratedStates> {
  const watch = watchFinite(rereadable(input) as () => AsyncIterable<Feeds>);
  const plan = methodPlan(method, o, where);
  const targets = tensors.map((t) => targetFor(t, plan, optional));
  if (method !== 'minmax') {
    const observed = methodPlan('minmax', o, where);
    targets.push(...tensors.map((t) => ({ ...targetFor(t, observed, optional), key: `${t}${OBSERVED_SUFFIX}` })));
  }
  const r = await calibrate({ data: watch.data, targets, model, signal });
  if (r.batches === 0) throw new QuantizeError({ where, option: 'calibrationData', expected: 'at least one batch', actual: '0' }, 'no calibration data');
  watch.check();
  return { states: new Map(r.states), batches: r.batches };
}

/** Decodes a state with the built-in calibrator its header names; `expectedKind` must match. */
function decodeRange(bytes: Uint8Array, expectedKind: string, key: string, where: string): { min: number; max: number } {
  let kind: string;
  try {
    kind = peekKind(bytes);
  } catch (e) {
    throw new QuantizeError({ where, option: 'statistics', expected: 'a calibration state', actual: `undecodable bytes for "${key}"` }, 'bad statistics', e);
  }
  if (kind !== expectedKind) throw new QuantizeError({ where, option: 'statistics', expected: `a "${expectedKind}" state for "${key}"`, actual: `"${kind}"` }, 'calibration state of the wrong kind');
  const cal = builtinCalibrators[kind];
  if (!cal) throw new QuantizeError({ where, option: 'statistics', expected: Object.keys(builtinCalibrators).join(', '), actual: kind }, `no calibrator for the state of "${key}"`);
  let range;
  try {
    range = cal.computeRange(cal.decode(bytes));
  } catch (e) {
    throw new QuantizeError({ where, option: 'statistics', expected: `a decodable "${kind}" state`, actual: `a bad state for "${key}"` }, 'bad statistics', e);
  }
  if (range.min.length !== 1) throw new QuantizeError({ where, option: 'calibrationMethod', expected: 'a per-tensor range', actual: `${range.min.length} channels` }, `calibration of "${key}"`);
  return { min: range.min[0], max: range.max[0] };
}

/**
 * Ranges for `tensors` from encoded states. Histogram methods return windows symmetric around 0 (|x| histograms); a
 * window never needs to extend past what was observed, so it is clipped to the observed min/max (the `#observed`
 * min-max state): `[max(lo, obsMin), min(hi, obsMax)]` (a Relu output keeps [0, t] instead of [-t, t]). For minmax
 * the state is its own observed range. A missing state is a QuantizeError naming the tensors, except for `optional`
 * tensors (inside control-flow bodies): one with a missing state, or whose min-max state never observed a value (a
 * branch no batch took), gets no range (insert-qdq then leaves its consumers float).
 */
export function rangesFromStates(states: ReadonlyMap<string, Uint8Array>, tensors: readonly string[], method: CalibrationMethod, o: StaticQuantizeOptions['calibration'], where = 'quantizeStatic', optional?: ReadonlySet<string>): Map<string, { min: number; max: number }> {
  const kind = methodPlan(method, o, where).calibrator.kind;
  const minmaxKey = (t: string): string => (method === 'minmax' ? t : `${t}${OBSERVED_SUFFIX}`);
  const unobserved = (t: string): boolean => {
    const b = states.get(minmaxKey(t));
    if (b === undefined || (method !== 'minmax' && !states.has(t))) return true;
    return (minMax.decode(b) as { channels: number }).channels === 0;
  };
  const skip = new Set((optional ? tensors.filter((t) => optional.has(t) && unobserved(t)) : []));
  tensors = tensors.filter((t) => !skip.has(t));
  const missing = tensors.flatMap((t) => [t, ...(method === 'minmax' ? [] : [`${t}${OBSERVED_SUFFIX}`])]).filter((k) => !states.has(k));
  if (missing.length > 0) {
    throw new QuantizeError({ where, option: 'statistics', expected: `states for all ${tensors.length} tensors to quantize`, actual: `${missing.length} missing (${missing.slice(0, 5).map((k) => `"${k}"`).join(', ')}${missing.length > 5 ? ', ...' : ''})` }, 'statistics do not cover the model');
  }
  const ranges = new Map<string, { min: number; max: number }>();
  for (const t of tensors) {
    const r = decodeRange(states.get(t)!, kind, t, where);
    const obs = method === 'minmax' ? r : decodeRange(states.get(`${t}${OBSERVED_SUFFIX}`)!, minMax.kind, `${t}${OBSERVED_SUFFIX}`, where);
    ranges.set(t, { min: Math.max(r.min, obs.min), max: Math.min(r.max, obs.max) });
  }
  return ranges;
}
