/** Messages between the page (main thread) and the quantization worker. */
import type { ModelSummary } from './inspect.js';

export type Mode = 'static' | 'dynamic' | 'weight-only';

export interface CalibrationSource {
  /** IDX (optionally gzipped) image files and/or PNG/JPEG images, already read as bytes with their names. */
  readonly files: readonly { readonly name: string; readonly bytes: Uint8Array }[];
  /** Use `generated` random samples (uniform in `[0, scale]`) when there are no files. */
  readonly generated: number;
  /** At most this many samples are used. */
  readonly limit: number;
  /** Pixel scale: bytes are divided by 255 and multiplied by this (1: inputs in 0..1; 255: raw pixel values). */
  readonly scale: number;
}

export interface QuantizeRequest {
  readonly type: 'quantize';
  readonly model: Uint8Array;
  readonly mode: Mode;
  readonly format: 'QDQ' | 'QOperator';
  readonly perChannel: boolean;
  readonly method: 'minmax' | 'entropy' | 'percentile' | 'mse';
  readonly blockSize: number;
  readonly calibration: CalibrationSource;
  /** Timed runs per model in the latency comparison. */
  readonly latencyRuns: number;
}

export interface LayerSqnr { readonly name: string; readonly opType: string; readonly sqnr: number }

export interface QuantizeResult {
  readonly type: 'done';
  readonly bytes: Uint8Array;
  readonly before: ModelSummary;
  readonly after: ModelSummary;
  readonly outputSqnr: number;
  readonly layers: readonly LayerSqnr[];
  readonly latency: { readonly floatMs: number; readonly int8Ms: number; readonly backend: string; readonly isas: readonly string[] };
  readonly seconds: number;
}

export type FromWorker =
  | { readonly type: 'progress'; readonly phase: string; readonly done?: number; readonly total?: number }
  | { readonly type: 'log'; readonly text: string }
  | { readonly type: 'error'; readonly message: string }
  | QuantizeResult;
