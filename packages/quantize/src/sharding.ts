/**
 * Sharded calibration for batch engines (Kubernetes Indexed Jobs, Slurm and AWS Batch arrays): each shard process
 * calibrates the samples `i` with `i % count === index` and writes a partial statistics file; `mergeStatistics`
 * (merge-statistics.ts) adds them up. Every built-in method's statistics are a commutative, associative, exact monoid
 * (min/max, integer histogram counts, exact sums), so the merge equals one process over all samples byte for byte.
 *
 * Histogram methods (percentile, entropy, mse) fix their bin edges from a min/max first pass over ALL samples. A shard
 * sees only its own samples, so its edges would differ and its histograms could not be added. Hence three steps:
 * 1. range pass, per shard: `calibrateStatic(m, data, { shard, rangePass: true })` writes a `stage: "ranges"` file
 *    (the first pass's min/max states, spec `{ axis, includeZero: false, symmetric: false }`);
 * 2. `mergeStatistics(rangeFiles)`: the exact min/max over all samples, the very range one process's first pass finds;
 * 3. statistics pass, per shard: `calibrateStatic(m, data, { shard, ranges: mergedRanges })` fills histograms whose
 *    edges come from that merged range, identical in every shard; then `mergeStatistics(shardFiles)`.
 * Methods without a first pass (minmax, meanstd, distribution) skip steps 1-2 (a range pass for them writes an empty
 * file, so scripts can run the same steps for every method).
 */
import { calibrate, minMax, peekKind } from '@lowbit/calibrators';
import type { CalibrationData, CalibrationPlanTarget, ObservableModel } from '@lowbit/calibrators';
import { OBSERVED_SUFFIX, methodPlan, rereadable, type MethodPlan } from './calibration.js';
import { canonicalJson } from './canonical-json.js';
import { QuantizeError } from './errors.js';
import { readFeeds } from './feeds.js';
import { decodeStatistics, type StatisticsFile } from './statistics-file.js';
import { StatisticsMismatchError } from './statistics-mismatch.js';
import type { CalibrationMethod, StaticQuantizeOptions } from './types.js';

/** Shard `index` of `count` (index from 0): the samples `i` with `i % count === index`. */
export interface ShardSelector {
  readonly index: number;
  readonly count: number;
}

/** Checks a shard selector (QuantizeError, option `shard`); `count` 1 means unsharded (returns undefined). */
export function checkShard(s: ShardSelector | undefined, where: string): ShardSelector | undefined {
  if (s === undefined) return undefined;
  const ok = typeof s === 'object' && s !== null && Number.isInteger(s.count) && s.count >= 1 && Number.isInteger(s.index) && s.index >= 0 && s.index < s.count;
  if (!ok) throw new QuantizeError({ where, option: 'shard', expected: '{ index, count } with integers 0 <= index < count', actual: JSON.stringify(s) }, 'bad shard');
  return s.count === 1 ? undefined : s;
}

/** The samples of one shard, re-readable like the data it filters (the sample index counts every feed read). */
export function shardData(data: CalibrationData, s: ShardSelector): CalibrationData {
  const all = rereadable(data);
  return () => ({
    async *[Symbol.asyncIterator]() {
      let i = 0;
      for await (const f of readFeeds(all)) if (i++ % s.count === s.index) yield f;
    },
  });
}

/** The first pass's spec for a histogram method, exactly as @lowbit/calibrators' `calibrate` builds it. */
function prepassSpec(p: MethodPlan): { axis: number | null; includeZero: false; symmetric: false } {
  return { axis: (p.spec.axis as number | null | undefined) ?? null, includeZero: false, symmetric: false };
}

/** The range pass: the first pass's min/max states (none for methods without a first pass). */
export async function rangeStates(model: ObservableModel, data: CalibrationData, tensors: readonly string[], p: MethodPlan, signal?: AbortSignal): Promise<{ states: Map<string, Uint8Array>; batches: number }> {
  if (!p.prepass) return { states: new Map(), batches: 0 };
  const spec = prepassSpec(p);
  const r = await calibrate({ data, model, signal, targets: tensors.map((tensor) => ({ tensor, calibrator: minMax, spec })) });
  return { states: new Map(r.states), batches: r.batches };
}

/**
 * The statistics pass with bin edges from a complete range file, collecting the method's state and the `#observed`
 * min/max state in one pass: what `calibrateStates` does, with its own first pass replaced by the merged one.
 */
export async function statesWithRanges(model: ObservableModel, data: CalibrationData, tensors: readonly string[], method: CalibrationMethod, o: StaticQuantizeOptions['calibration'], ranges: StatisticsFile, where: string, signal?: AbortSignal): Promise<{ states: Map<string, Uint8Array>; batches: number }> {
  const p = methodPlan(method, o, where);
  const targets: CalibrationPlanTarget[] = !p.prepass ? tensors.map((tensor) => ({ tensor, calibrator: p.calibrator, spec: p.spec })) : tensors.map((tensor) => {
    const bytes = ranges.states.get(tensor);
    if (bytes === undefined) throw new StatisticsMismatchError({ where, field: 'tensors', expected: `a range for "${tensor}"`, actual: `none (the range file covers ${ranges.states.size} tensors)` }, 'the range file does not cover the tensors to calibrate');
    if (peekKind(bytes) !== minMax.kind) throw new StatisticsMismatchError({ where, field: `states["${tensor}"]`, expected: 'a min-max state', actual: peekKind(bytes) }, 'bad range file');
    const st = minMax.decode(bytes);
    if (canonicalJson(st.spec) !== canonicalJson(prepassSpec(p))) throw new StatisticsMismatchError({ where, field: `states["${tensor}"].spec`, expected: canonicalJson(prepassSpec(p)), actual: canonicalJson(st.spec) }, 'bad range file');
    const r = minMax.computeRange(st);
    return { tensor, calibrator: p.calibrator, spec: { ...p.spec, range: { min: r.min, max: r.max } } };
  });
  if (method !== 'minmax') {
    // One pass collects both: the `#observed` min-max state is a second key on the same tensor.
    const m = methodPlan('minmax', o, where);
    targets.push(...tensors.map((tensor) => ({ tensor, key: `${tensor}${OBSERVED_SUFFIX}`, calibrator: m.calibrator, spec: m.spec })));
  }
  const r = await calibrate({ data, model, signal, targets });
  return { states: new Map(r.states), batches: r.batches };
}

/** Header fields that must agree between files that are merged or used together, in the order they are checked. */
export const AGREEING_FIELDS = ['stage', 'tool', 'method', 'calibration', 'settings', 'modelSha256'] as const;

/** Throws StatisticsMismatchError naming the first of AGREEING_FIELDS where `b` differs from `a`. */
export function requireSameHeader(a: StatisticsFile['header'], b: StatisticsFile['header'], where: string, file?: number, what = 'cannot merge statistics files made differently'): void {
  for (const f of AGREEING_FIELDS) {
    const x = canonicalJson(a[f] ?? null);
    const y = canonicalJson(b[f] ?? null);
    if (x !== y) throw new StatisticsMismatchError({ where, field: f, file, expected: x, actual: y }, what);
  }
}

/** Refuses a partial (not all shards merged) file where a complete one is needed. */
export function requireComplete(f: StatisticsFile, where: string, what: string): void {
  if (f.header.shard === undefined) return;
  const { count, indices } = f.header.shard;
  const missing = Array.from({ length: count }, (_, k) => k).filter((k) => !indices.includes(k));
  throw new StatisticsMismatchError({ where, field: 'shard.indices', expected: `all ${count} shards merged (lowbit merge-stats)`, actual: `shards ${indices.join(', ')} only; missing ${missing.join(', ')}` }, what);
}

/** Decodes a range file for the statistics pass and checks it matches (stage, tool, method, settings, model, complete). */
export function checkRangeFile(bytes: Uint8Array, expected: StatisticsFile['header'], where: string): StatisticsFile {
  const f = decodeStatistics(bytes, where);
  if (f.header.stage !== 'ranges') throw new StatisticsMismatchError({ where, field: 'stage', expected: '"ranges" (a file from the range pass)', actual: f.header.stage === undefined ? 'a statistics file' : JSON.stringify(f.header.stage) }, 'option "ranges" needs a range file');
  requireSameHeader({ ...expected, stage: 'ranges' }, f.header, where, undefined, 'the range file was made for another calibration');
  requireComplete(f, where, 'the range file must cover every shard');
  return f;
}
