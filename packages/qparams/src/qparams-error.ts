import { LowbitError } from './lowbit-error.js';

/** What a {@link QParamsError} points at: the offending parameter, its value, and what was expected. */
export interface QParamsErrorContext {
  /** The parameter name as the caller spelled it, e.g. `range.min`, `blockSize`, `scale[3]`. */
  readonly param: string;
  /** The offending value (numbers kept as numbers so NaN/Infinity stay visible). */
  readonly value: unknown;
  /** What would have been accepted, in words. */
  readonly expected: string;
}

/**
 * Bad quantization parameters given by the caller: NaN or infinite range, min > max, a block size that does not
 * divide the axis (in `chooseQParams`), an empty tensor, an unknown dtype, a zero/negative/NaN scale, ...
 * Stable code `QPARAMS`.
 */
export class QParamsError extends LowbitError<QParamsErrorContext> {
  constructor(context: QParamsErrorContext, where?: string, cause?: unknown) {
    super(
      'QPARAMS',
      `${where ? where + ': ' : ''}${context.param} = ${show(context.value)} is invalid, expected ${context.expected}`,
      { context, cause },
    );
  }
}

function show(v: unknown): string {
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  return String(v);
}
