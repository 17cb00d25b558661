/**
 * Base of every Lowbit error. `qparams` and `onnx-ir` must stay free of internal dependencies, so each carries this
 * same small class; they share a global brand, so `err instanceof LowbitError` holds across both copies and across
 * bundled duplicates of a package.
 */
const BRAND: unique symbol = Symbol.for('lowbit.error') as never;

export interface LowbitErrorOptions<C> {
  readonly context: C;
  readonly cause?: unknown;
}

export class LowbitError<C extends object = Record<string, unknown>> extends Error {
  /** Stable machine-readable code, e.g. `QPARAMS`, `MODEL_FORMAT`, `NODE`. */
  readonly code: string;
  /** Typed context: where the error happened and what was expected vs found. */
  readonly context: C;

  constructor(code: string, message: string, options: LowbitErrorOptions<C>) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.context = options.context;
    this.name = new.target.name;
    Object.defineProperty(this, BRAND, { value: true });
  }

  static override [Symbol.hasInstance](x: unknown): boolean {
    if (this !== LowbitError) return Function.prototype[Symbol.hasInstance].call(this, x);
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[BRAND] === true;
  }
}

/** Fails loudly on an internal bug (never for user input). */
export function invariant(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(`Lowbit internal error: ${message}`);
}
