import { CalibrationError } from '../core/errors.js';
import type { Calibrator, TensorLike } from '../core/types.js';
import type { Feeds, ObservableModel, ObservedValue } from './model.js';

/** A tensor to observe, with the calibrator (and its already resolved spec) that summarises it. */
export interface CalibrationTarget<S = unknown, Spec = unknown> {
  readonly tensor: string;
  /** Name of this target's result (default: `tensor`); lets several methods observe one tensor in a single pass. */
  readonly key?: string;
  readonly calibrator: Calibrator<S, Spec>;
  readonly spec: Spec;
  /**
   * A value the run may not produce (one inside an If branch that was not taken, a Loop body that ran zero times):
   * a batch that does not report it leaves its state as it was instead of failing. Default false.
   */
  readonly optional?: boolean;
}

/** The result name of a target: its `key`, or its tensor. */
export const targetKey = (t: { readonly tensor: string; readonly key?: string }): string => t.key ?? t.tensor;

/**
 * Runs the model on one batch and folds every observed value into `states` (replacing entries in place; the
 * states themselves are never mutated). The value is reduced to statistics inside the hook and not retained.
 * A target tensor the run never reports (unless the target is `optional`), a value that is not float32, or a calibrator failure is a
 * `CalibrationError` naming the tensor and batch.
 */
export async function observeBatch(
  model: ObservableModel,
  feeds: Feeds,
  targets: readonly CalibrationTarget[],
  states: unknown[],
  batch: number,
): Promise<void> {
  const index = new Map<string, number[]>();
  targets.forEach((t, i) => index.set(t.tensor, [...(index.get(t.tensor) ?? []), i]));
  const seen = new Set<string>();
  let failure: unknown;
  const onValue = (name: string, value: ObservedValue): void => {
    const hit = index.get(name);
    if (hit === undefined || failure !== undefined) return;
    seen.add(name);
    try {
      if ((value?.dtype !== undefined && value.dtype !== 'float32') || !(value?.data instanceof Float32Array)) {
        const actual = value?.dtype ?? (value?.data as object | undefined)?.constructor?.name ?? typeof value;
        throw new CalibrationError(`calibration batch ${batch}: tensor "${name}" is ${actual}; calibration observes float32 tensors`, {
          tensor: name, batch, expected: 'float32', actual,
        });
      }
      for (const i of hit) {
        const t = targets[i] as CalibrationTarget<unknown, unknown>;
        try {
          states[i] = t.calibrator.observe(states[i], value as TensorLike);
        } catch (cause) {
          const why = cause instanceof Error ? cause.message : String(cause);
          throw new CalibrationError(`calibration batch ${batch}: tensor "${name}" (${t.calibrator.kind}): ${why}`, { tensor: name, batch, kind: t.calibrator.kind }, cause);
        }
      }
    } catch (e) {
      failure = e;
      throw e;
    }
  };
  try {
    await model.run(feeds, { observe: [...index.keys()], onValue });
  } catch (e) {
    if (failure !== undefined) throw failure;
    throw e;
  }
  if (failure !== undefined) throw failure;
  for (const [name, hit] of index) {
    if (!seen.has(name) && !hit.every((i) => targets[i].optional)) {
      throw new CalibrationError(`calibration batch ${batch}: tensor "${name}" was not produced by the model run (is it a value in the graph?)`, { tensor: name, batch });
    }
  }
}
