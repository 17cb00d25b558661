import { invariant } from '@lowbit/qparams';
import { CalibrationError } from '../core/errors.js';
import type { Calibrator, Range, RangeSpec } from '../core/types.js';
import { minMax } from '../methods/min-max.js';
import { CalibrationSession } from './calibration-session.js';
import type { CalibrationData, ObservableModel } from './model.js';
import { targetKey, type CalibrationTarget } from './observe-batch.js';
import { WorkerPool, type ShardOptions } from './sharded.js';

/** A target of `calibrate`: like `CalibrationTarget`, plus the two-pass switch. */
export interface CalibrationPlanTarget<S = any, Spec = any> {
  readonly tensor: string;
  /** Result name (default `tensor`); distinct keys let several methods observe one tensor in the same pass. */
  readonly key?: string;
  readonly calibrator: Calibrator<S, Spec>;
  /** The spec; with `prepass`, everything except `range`. */
  readonly spec?: Spec | Omit<Spec, 'range'>;
  /**
   * Two-pass protocol for histogram methods (percentile, entropy, MSE): first a min-max pass over the same data
   * (same `axis` as the spec, no zero-widening, no symmetry), then `spec.range = { min, max }` of that pass fixes
   * the bin edges and the second pass fills the histograms. Requires re-readable data (see `CalibrationData`).
   */
  readonly prepass?: boolean;
  /** See `CalibrationTarget.optional`. A prepass target that the first pass never saw is left out of the result. */
  readonly optional?: boolean;
}

export interface CalibrateOptions {
  readonly data: CalibrationData;
  readonly targets: readonly CalibrationPlanTarget[];
  /** Run in this thread with this model... */
  readonly model?: ObservableModel;
  /** ...or shard over worker threads (each builds its own model from `shard.workerModule`). */
  readonly shard?: ShardOptions;
  readonly signal?: AbortSignal;
}

export interface CalibrationResult {
  /** By target key (`key ?? tensor`). */
  readonly ranges: Map<string, Range>;
  /** Encoded final states (resume or merge them with states from other machines). */
  readonly states: Map<string, Uint8Array>;
  /** Batches read in the final pass. */
  readonly batches: number;
}

/**
 * Calibrates the targets over `data`, in this thread (`model`) or sharded over workers (`shard`); both give
 * identical states because shards are contiguous runs of batches merged in order and every method is a monoid.
 * Runs a min-max first pass when any target asks for `prepass`.
 */
export async function calibrate(o: CalibrateOptions): Promise<CalibrationResult> {
  if ((o.model === undefined) === (o.shard === undefined)) {
    throw new CalibrationError('calibrate: pass exactly one of `model` (this thread) or `shard` (worker threads)');
  }
  const pool = o.shard ? await WorkerPool.start(o.shard) : undefined;
  try {
    const runPass = async (targets: readonly CalibrationTarget[], pass: number) => {
      if (pool) return pool.runPass(o.data, pass, targets, o.signal);
      const s = new CalibrationSession(o.model!, targets);
      const batches = await s.run(o.data, { pass, signal: o.signal });
      return { states: [...s.states().values()], batches };
    };
    const needPrepass = o.targets.filter((t) => t.prepass);
    let pass = 0;
    const ranges = new Map<string, Range>();
    const prepassUnseen = new Set<string>();
    if (needPrepass.length > 0) {
      const pre = needPrepass.map((t) => ({
        tensor: t.tensor,
        key: targetKey(t),
        calibrator: minMax,
        optional: t.optional,
        spec: { axis: (t.spec as RangeSpec | undefined)?.axis ?? null, includeZero: false, symmetric: false },
      }));
      const r = await runPass(pre, pass++);
      pre.forEach((t, i) => {
        const st = r.states[i] as ReturnType<typeof minMax.init>;
        if (t.optional && st.channels === 0) prepassUnseen.add(t.key);
        ranges.set(t.key, minMax.computeRange(st));
      });
    }
    const unseen = (t: CalibrationPlanTarget): boolean => t.prepass === true && t.optional === true && prepassUnseen.has(targetKey(t));
    const targets: CalibrationTarget[] = o.targets.filter((t) => !unseen(t)).map((t) => {
      if (!t.prepass) return { tensor: t.tensor, key: t.key, calibrator: t.calibrator, spec: t.spec, optional: t.optional };
      const r = ranges.get(targetKey(t));
      invariant(r !== undefined, `calibrate: no first-pass range for "${t.tensor}"`);
      return { tensor: t.tensor, key: t.key, calibrator: t.calibrator, spec: { ...(t.spec as object), range: { min: r.min, max: r.max } }, optional: t.optional };
    });
    const result = await runPass(targets, pass);
    const cal = (i: number) => targets[i].calibrator as CalibrationTarget<unknown, unknown>['calibrator'];
    return {
      ranges: new Map(targets.map((t, i) => [targetKey(t), cal(i).computeRange(result.states[i])])),
      states: new Map(targets.map((t, i) => [targetKey(t), cal(i).encode(result.states[i])])),
      batches: result.batches,
    };
  } finally {
    await pool?.close();
  }
}
