import type { Worker } from 'node:worker_threads';
import { CalibrationError } from '../core/errors.js';
import { nodeBuiltins } from './node-builtins.js';
import { readFeeds } from './data-source.js';
import { validateFeeds } from './feeds.js';
import type { CalibrationData, Feeds, InputMetadata } from './model.js';
import type { CalibrationTarget } from './observe-batch.js';
import { reviveError, type FromWorker, type ShardWorkerData, type ToWorker } from './worker-protocol.js';

/**
 * Sharding over `worker_threads`. Each worker imports `workerModule`, a plain ES module (JavaScript, loadable by
 * Node without a TypeScript loader) that exports:
 * ```js
 * export async function createModel(workerOptions) { return observableModel; } // required: builds the model in the worker
 * export const calibrators = { 'my-method': myCalibrator };                     // optional: kinds beyond the built-ins
 * ```
 * `workerOptions` must be structured-cloneable (e.g. a model path). Feeds are structured-cloned to the worker,
 * so class instances arrive as plain `{ dtype, dims, data }` objects; `createModel`'s model must accept those.
 */
export interface ShardOptions {
  /** Number of worker threads (>= 1). */
  readonly workers: number;
  /** Path (absolute, or relative to `process.cwd()`) or `file:` URL of the worker module. */
  readonly workerModule: string | URL;
  /** Passed to `createModel` in every worker. */
  readonly workerOptions?: unknown;
  /**
   * Consecutive batches per message (default 4). Shards are contiguous runs of batches, and their states are
   * merged in data order, so order-dependent methods (moving average) give the single-thread result.
   */
  readonly chunkSize?: number;
  /** Override of the worker entry script (default: this package's built `dist/session/shard-worker.js`). */
  readonly workerEntry?: URL;
}

/** The built worker entry: next to this module in `dist`, or the `dist` twin of this file when run from sources. */
export function defaultWorkerEntry(): URL {
  const { existsSync, fileURLToPath } = nodeBuiltins();
  const here = import.meta.url;
  const entry = here.endsWith('.ts') ? new URL('../../dist/session/shard-worker.js', here) : new URL('./shard-worker.js', here);
  if (!existsSync(fileURLToPath(entry))) {
    throw new CalibrationError(`calibration: worker entry ${fileURLToPath(entry)} is missing; build @lowbit/calibrators first (npx tsc -b packages/calibrators)`);
  }
  return entry;
}

function moduleHref(m: string | URL): string {
  if (m instanceof URL) return m.href;
  if (m.startsWith('file:')) return m;
  const { isAbsolute, resolve, pathToFileURL } = nodeBuiltins();
  return pathToFileURL(isAbsolute(m) ? m : resolve(process.cwd(), m)).href;
}

interface Slot {
  readonly worker: Worker;
  readonly id: number;
  /** Settles the current chunk of this worker. */
  pending?: { resolve: (m: FromWorker) => void; reject: (e: Error) => void };
}

/** A started set of workers, reusable across passes. Always `close()` it. */
export class WorkerPool {
  readonly #slots: Slot[];
  readonly inputNames: readonly string[];
  readonly inputMetadata: readonly InputMetadata[] | undefined;
  readonly kinds: ReadonlySet<string>;
  readonly #chunkSize: number;

  private constructor(slots: Slot[], ready: Extract<FromWorker, { type: 'ready' }>, chunkSize: number) {
    this.#slots = slots;
    this.inputNames = ready.inputNames;
    this.inputMetadata = ready.inputMetadata;
    this.kinds = new Set(ready.kinds);
    this.#chunkSize = chunkSize;
  }

  static async start(o: ShardOptions): Promise<WorkerPool> {
    if (!Number.isInteger(o.workers) || o.workers < 1) throw new CalibrationError(`calibration: workers must be a positive integer, got ${String(o.workers)}`);
    const chunkSize = o.chunkSize ?? 4;
    if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new CalibrationError(`calibration: chunkSize must be a positive integer, got ${String(o.chunkSize)}`);
    const entry = o.workerEntry ?? defaultWorkerEntry();
    const wd: ShardWorkerData = { workerModule: moduleHref(o.workerModule), workerOptions: o.workerOptions };
    const slots: Slot[] = [];
    const readies: Promise<FromWorker>[] = [];
    for (let id = 0; id < o.workers; id++) {
      const worker = new (nodeBuiltins().Worker)(entry, { workerData: wd });
      const slot: Slot = { worker, id };
      slots.push(slot);
      readies.push(
        new Promise<FromWorker>((res, rej) => {
          slot.pending = { resolve: res, reject: rej };
        }),
      );
      worker.on('message', (m: FromWorker) => {
        const p = slot.pending;
        slot.pending = undefined;
        if (!p) return;
        if (m.type === 'error') p.reject(reviveError(m.error, id));
        else p.resolve(m);
      });
      worker.on('error', (e) => {
        const p = slot.pending;
        slot.pending = undefined;
        p?.reject(new CalibrationError(`calibration worker ${id} crashed: ${e.message}`, {}, e));
      });
      worker.on('exit', (code) => {
        const p = slot.pending;
        slot.pending = undefined;
        p?.reject(new CalibrationError(`calibration worker ${id} exited with code ${code}`));
      });
    }
    try {
      const msgs = await Promise.all(readies);
      return new WorkerPool(slots, msgs[0] as Extract<FromWorker, { type: 'ready' }>, chunkSize);
    } catch (e) {
      await Promise.all(slots.map((s) => s.worker.terminate()));
      throw e;
    }
  }

  /**
   * One pass over `data`: contiguous chunks of batches go to idle workers; the returned per-chunk states are merged
   * in chunk order (a reorder buffer holds early finishers), so the result equals folding `observe` over all
   * batches in order. At most `workers` chunks of feeds are in flight.
   */
  async runPass(data: CalibrationData, pass: number, targets: readonly CalibrationTarget[], signal?: AbortSignal): Promise<{ states: unknown[]; batches: number }> {
    for (const t of targets) {
      if (!this.kinds.has(t.calibrator.kind)) {
        throw new CalibrationError(`calibration: workers have no calibrator of kind "${t.calibrator.kind}" (export it from the worker module's \`calibrators\`)`, {
          kind: t.calibrator.kind, tensor: t.tensor,
        });
      }
    }
    const cal = (i: number) => targets[i].calibrator as CalibrationTarget<unknown, unknown>['calibrator'];
    const descriptors = targets.map((t) => ({ tensor: t.tensor, kind: t.calibrator.kind, spec: t.spec, ...(t.optional ? { optional: true } : {}) }));
    let merged: unknown[] = targets.map((t, i) => cal(i).init(t.spec));
    const iter = readFeeds(data, pass)[Symbol.asyncIterator]();
    const idle = [...this.#slots];
    type Outcome = { slot: Slot; index: number; states?: readonly Uint8Array[]; error?: unknown };
    const inflight = new Map<number, Promise<Outcome>>();
    const early = new Map<number, readonly Uint8Array[]>();
    let nextIndex = 0;
    let mergedUpTo = 0;
    let batches = 0;
    let exhausted = false;

    const readChunk = async (): Promise<Feeds[]> => {
      const feeds: Feeds[] = [];
      while (feeds.length < this.#chunkSize) {
        const r = await iter.next();
        if (r.done) {
          exhausted = true;
          break;
        }
        signal?.throwIfAborted();
        validateFeeds(r.value, this.inputNames, this.inputMetadata, batches);
        feeds.push(r.value);
        batches++;
      }
      return feeds;
    };

    try {
      while (!exhausted || inflight.size > 0) {
        while (!exhausted && idle.length > 0) {
          const firstBatch = batches;
          const feeds = await readChunk();
          if (feeds.length === 0) break;
          const slot = idle.pop()!;
          const index = nextIndex++;
          const msg: ToWorker = { type: 'chunk', index, firstBatch, targets: descriptors, feeds };
          const done = new Promise<FromWorker>((res, rej) => {
            slot.pending = { resolve: res, reject: rej };
          }).then(
            (m): Outcome => {
              if (m.type !== 'result' || m.index !== index) return { slot, index, error: new CalibrationError(`calibration worker ${slot.id}: unexpected reply ${m.type}`) };
              return { slot, index, states: m.states };
            },
            (error: unknown): Outcome => ({ slot, index, error }),
          );
          inflight.set(index, done);
          slot.worker.postMessage(msg);
        }
        if (inflight.size === 0) break;
        const r = await Promise.race(inflight.values());
        inflight.delete(r.index);
        if (r.error !== undefined) {
          // Report the failure of the earliest chunk, whichever worker finished first, so errors are deterministic.
          const rest = await Promise.all(inflight.values());
          const first = [r, ...rest].filter((o) => o.error !== undefined).sort((a, b) => a.index - b.index)[0];
          throw first.error;
        }
        idle.push(r.slot);
        early.set(r.index, r.states!);
        while (early.has(mergedUpTo)) {
          const enc = early.get(mergedUpTo)!;
          early.delete(mergedUpTo);
          merged = merged.map((s, i) => cal(i).merge(s, cal(i).decode(enc[i])));
          mergedUpTo++;
        }
      }
    } catch (e) {
      await this.close();
      throw e;
    }
    return { states: merged, batches };
  }

  async close(): Promise<void> {
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }
}
