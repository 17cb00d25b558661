import { LowbitError } from '@lowbit/onnx-ir';

export interface QuantizeErrorContext {
  /** `quantizeStatic`, `quantizeDynamic`, `quantizeWeightOnly`, or `recipe`. */
  readonly where: string;
  /** The option or recipe key at fault, as a dotted path (e.g. `calibration.percentile`). */
  readonly option?: string;
  readonly expected?: string;
  readonly actual?: string;
}

/**
 * Bad options or input to the quantize API (code `QUANTIZE`), or a result that fails verification. The message says
 * which function, which option, expected vs actual.
 */
export class QuantizeError extends LowbitError<QuantizeErrorContext> {
  static readonly CODE = 'QUANTIZE';
  constructor(context: QuantizeErrorContext, what: string, cause?: unknown) {
    const opt = context.option !== undefined ? `: option "${context.option}"` : '';
    const exp = context.expected !== undefined ? `, expected ${context.expected}` : '';
    const act = context.actual !== undefined ? `, got ${context.actual}` : '';
    super(QuantizeError.CODE, `${context.where}${opt}: ${what}${exp}${act}`, { context, cause });
  }
}

export interface QuantizeAbortedContext {
  /** `quantizeStatic`, `quantizeDynamic`, `quantizeWeightOnly`, `calibrateStatic`. */
  readonly where: string;
  /** What was running when the signal was seen: `load`, `preprocess`, `calibration`, a pass name, `save`, ... */
  readonly stage: string;
}

/**
 * The run's `signal` fired (code `ABORTED`): the quantizer stopped at the next check (between passes, between
 * calibration batches, before saving) and wrote nothing. `cause` is the signal's reason.
 */
export class QuantizeAbortedError extends LowbitError<QuantizeAbortedContext> {
  static readonly CODE = 'ABORTED';
  constructor(context: QuantizeAbortedContext, reason: unknown) {
    const why = reason instanceof Error ? `: ${reason.message}` : reason !== undefined ? `: ${String(reason)}` : '';
    super(QuantizeAbortedError.CODE, `${context.where}: aborted during ${context.stage}${why}`, { context, cause: reason });
  }
}
