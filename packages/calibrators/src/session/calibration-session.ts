import { CalibrationError } from '../core/errors.js';
import type { Range } from '../core/types.js';
import { readFeeds } from './data-source.js';
import { validateFeeds } from './feeds.js';
import type { CalibrationData, ObservableModel } from './model.js';
import { observeBatch, targetKey, type CalibrationTarget } from './observe-batch.js';

export interface CalibrationSessionOptions {
  /** Resume: encoded states by target key (from `encodeStates()`, possibly of another process) instead of `init`. */
  readonly resumeFrom?: ReadonlyMap<string, Uint8Array>;
}

export interface RunOptions {
  readonly signal?: AbortSignal;
  /** Which read of `data` this is (0 first); the second read rewinds a reader. Default 0. */
  readonly pass?: number;
}

/**
 * Drives a model over calibration data in this thread and keeps one calibrator state per target tensor. Only
 * statistics are kept, never activations: memory is the model's own working set plus the states.
 *
 * ```ts
 * const s = new CalibrationSession(model, [{ tensor: 'conv1', calibrator: minMax, spec: { axis: null } }]);
 * await s.run(feedsIterable);
 * s.ranges().get('conv1'); // { axis: null, min: [...], max: [...] }
 * ```
 * `run` may be called again with more data (states keep accumulating); `encodeStates()` + `resumeFrom` continue a
 * calibration in another process.
 */
export class CalibrationSession {
  readonly #model: ObservableModel;
  readonly #targets: readonly CalibrationTarget[];
  readonly #states: unknown[];
  #batches = 0;

  constructor(model: ObservableModel, targets: readonly CalibrationTarget[], options: CalibrationSessionOptions = {}) {
    const names = new Set<string>();
    for (const t of targets) {
      const key = targetKey(t);
      if (names.has(key)) throw new CalibrationError(`calibration: two targets are named "${key}" (give one a distinct \`key\`)`, { tensor: t.tensor });
      names.add(key);
    }
    this.#model = model;
    this.#targets = targets;
    this.#states = targets.map((t) => {
      const saved = options.resumeFrom?.get(targetKey(t));
      const c = t.calibrator as CalibrationTarget<unknown, unknown>['calibrator'];
      if (saved === undefined) return c.init(t.spec);
      const s = c.decode(saved);
      c.merge(c.init(t.spec), s); // throws CalibrationError when the saved spec differs from the requested one
      return s;
    });
  }

  /** Batches observed so far by this session object. */
  get batches(): number {
    return this.#batches;
  }

  /** Reads all of `data` and folds it into the states; returns the number of batches read. */
  async run(data: CalibrationData, options: RunOptions = {}): Promise<number> {
    let n = 0;
    for await (const feeds of readFeeds(data, options.pass ?? 0)) {
      options.signal?.throwIfAborted();
      const batch = this.#batches;
      validateFeeds(feeds, this.#model.inputNames, this.#model.inputMetadata, batch);
      await observeBatch(this.#model, feeds, this.#targets, this.#states, batch);
      this.#batches++;
      n++;
    }
    return n;
  }

  /**
   * Merges states encoded elsewhere (another session, worker or machine; keyed like `encodeStates()`) into this
   * one, as if their batches came after this session's. Missing keys are left alone; unknown keys and states
   * with another spec are a `CalibrationError`.
   */
  mergeFrom(encoded: ReadonlyMap<string, Uint8Array>): void {
    const keys = this.#targets.map(targetKey);
    for (const k of encoded.keys()) {
      if (!keys.includes(k)) throw new CalibrationError(`calibration: no target named "${k}" to merge into (targets: ${keys.join(', ')})`, { tensor: k });
    }
    this.#targets.forEach((t, i) => {
      const bytes = encoded.get(keys[i]);
      if (bytes === undefined) return;
      const c = t.calibrator as CalibrationTarget<unknown, unknown>['calibrator'];
      this.#states[i] = c.merge(this.#states[i], c.decode(bytes));
    });
  }

  /** Current state per target (keyed by `key ?? tensor`, as are `ranges` and `encodeStates`). */
  states(): Map<string, unknown> {
    return new Map(this.#targets.map((t, i) => [targetKey(t), this.#states[i]]));
  }

  ranges(): Map<string, Range> {
    return new Map(this.#targets.map((t, i) => [targetKey(t), (t.calibrator as CalibrationTarget<unknown, unknown>['calibrator']).computeRange(this.#states[i])]));
  }

  encodeStates(): Map<string, Uint8Array> {
    return new Map(this.#targets.map((t, i) => [targetKey(t), (t.calibrator as CalibrationTarget<unknown, unknown>['calibrator']).encode(this.#states[i])]));
  }
}
