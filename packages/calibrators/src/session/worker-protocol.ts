import { CalibrationError, type CalibrationErrorContext } from '../core/errors.js';
import type { Feeds, InputMetadata } from './model.js';

/** What the main thread passes as `workerData`. */
export interface ShardWorkerData {
  /** `file:` URL of the user's worker module (see `ShardOptions.workerModule`). */
  readonly workerModule: string;
  readonly workerOptions: unknown;
}

export interface TargetDescriptor {
  readonly tensor: string;
  readonly kind: string;
  readonly spec: unknown;
  readonly optional?: boolean;
}

export type ToWorker = {
  readonly type: 'chunk';
  readonly index: number;
  readonly firstBatch: number;
  readonly targets: readonly TargetDescriptor[];
  readonly feeds: readonly Feeds[];
};

export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly context?: CalibrationErrorContext;
}

export type FromWorker =
  | { readonly type: 'ready'; readonly inputNames: readonly string[]; readonly inputMetadata?: readonly InputMetadata[]; readonly kinds: readonly string[] }
  | { readonly type: 'result'; readonly index: number; readonly states: readonly Uint8Array[] }
  | { readonly type: 'error'; readonly index: number; readonly error: SerializedError };

export function serializeError(e: unknown): SerializedError {
  if (e instanceof CalibrationError) return { name: e.name, message: e.message, code: e.code, context: e.context };
  if (e instanceof Error) return { name: e.name, message: e.message, code: (e as { code?: unknown }).code as string | undefined };
  return { name: 'Error', message: String(e) };
}

/** Rebuilds a worker's error on the main thread: calibration errors keep message and context. */
export function reviveError(e: SerializedError, worker: number): Error {
  if (e.code === 'CALIBRATION') return new CalibrationError(e.message, e.context ?? {});
  const cause = Object.assign(new Error(e.message), { name: e.name, code: e.code });
  return new CalibrationError(`calibration worker ${worker}: ${e.name}: ${e.message}`, {}, cause);
}
