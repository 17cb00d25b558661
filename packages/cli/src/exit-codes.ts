import { LowbitError } from '@lowbit/onnx-ir';

/** The `lowbit` exit codes. */
export const ExitCode = {
  ok: 0,
  /** Something failed while running (a kernel, I/O, a comparison that did not match). */
  runtime: 1,
  /** Bad arguments or unreadable data files. */
  usage: 2,
  /** The model is invalid or uses something Lowbit does not support. */
  model: 3,
  /** `lowbit tune`: the accuracy target was not reached; the best model found and the report are written all the same. */
  targetNotReached: 4,
  /** Interrupted (Ctrl-C): 128 + SIGINT, as shells report it; the command wrote nothing. */
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Error codes that mean "the user's arguments or data are wrong". */
const USAGE = new Set(['USAGE', 'DATA_FORMAT', 'QPARAMS', 'CALIBRATION', 'QUANTIZE', 'FEED', 'SESSION_OPTION', 'BACKEND_UNAVAILABLE']);
/** Error codes that mean "the model is invalid or unsupported". */
const MODEL = new Set(['MODEL_FORMAT', 'EXTERNAL_DATA', 'TENSOR_DATA', 'NODE', 'NO_KERNEL', 'PRECONDITION', 'REWRITE', 'ALREADY_QUANTIZED']);

/** A user-facing usage error raised by the CLI itself (bad flag values, missing files). */
export class UsageError extends LowbitError<{ readonly option?: string; readonly expected?: string; readonly actual?: string }> {
  constructor(message: string, context: { option?: string; expected?: string; actual?: string } = {}) {
    super('USAGE', message, { context });
  }
}

export function exitCodeFor(err: unknown): ExitCode {
  // A file that is not there (or not readable) is the user's mistake, whichever layer noticed it.
  if (fileMissing(err)) return ExitCode.usage;
  if (err instanceof LowbitError) {
    const code = (err as LowbitError).code;
    if (USAGE.has(code)) return ExitCode.usage;
    if (MODEL.has(code)) return ExitCode.model;
    if (code === 'PASS') return exitCodeFor((err as Error).cause);
    if (code === 'ABORTED') return ExitCode.interrupted;
    return ExitCode.runtime;
  }
  return ExitCode.runtime;
}

function fileMissing(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const sys = (e as NodeJS.ErrnoException).code;
    if (sys === 'ENOENT' || sys === 'EISDIR' || sys === 'EACCES' || sys === 'ENOTDIR' || sys === 'EPERM' || sys === 'EROFS') return true;
  }
  return false;
}

/** One line for the user: the message, plus the innermost cause when it adds something. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  let msg = err.message;
  let c: unknown = err.cause;
  for (let depth = 0; c instanceof Error && depth < 4; depth++) {
    if (!msg.includes(c.message)) msg += `: ${c.message}`;
    c = c.cause;
  }
  return printable(msg.replace(/\s*\n\s*/g, ' '));
}

/**
 * `s` with control characters (terminal escapes, NUL, ...) shown as `\xNN` escapes: names and strings in messages come
 * from untrusted model files and must not drive the user's terminal.
 */
export function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
