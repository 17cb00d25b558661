import { LowbitError } from '@lowbit/qparams';

/** Where and why calibration failed. Every field is optional; messages repeat the relevant ones in words. */
export interface CalibrationErrorContext {
  /** The model input whose feed was wrong. */
  readonly input?: string;
  /** The observed tensor (activation or weight) being calibrated. */
  readonly tensor?: string;
  /** The calibrator kind involved. */
  readonly kind?: string;
  /** The zero-based batch index in the calibration stream. */
  readonly batch?: number;
  readonly expected?: string;
  readonly actual?: string;
  /** Byte offset for state decoding failures. */
  readonly offset?: number;
}

/**
 * A user-facing calibration failure: bad feeds (wrong names, shapes, dtypes, empty data), incompatible states
 * in `merge`, undecodable state bytes, or an unusable spec. Code `CALIBRATION`.
 */
export class CalibrationError extends LowbitError<CalibrationErrorContext> {
  constructor(message: string, context: CalibrationErrorContext = {}, cause?: unknown) {
    super('CALIBRATION', message, { context, cause });
  }
}
