/**
 * The pass contract (DESIGN.md "Passes"). A pass maps a Model to a Model. It returns the same Model object exactly
 * when it changed nothing (`modified === false`); the PassManager enforces that rule.
 */
import type { Diagnostic } from './diagnostic.js';
import type { Model } from './types.js';

export interface Pass {
  /** kebab-case, stable (it appears in errors, logs and timings). */
  readonly name: string;
  /** Throws PreconditionError when the model is not something this pass can handle. */
  requires?(m: Model, ctx: PassContext): void;
  run(m: Model, ctx: PassContext): PassResult | Promise<PassResult>;
  /** Throws PostconditionError when the result breaks what the pass promises. */
  ensures?(m: Model, ctx: PassContext): void;
}

export interface PassResult {
  readonly model: Model;
  readonly modified: boolean;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface PassLogEntry {
  readonly level: LogLevel;
  /** The pass that logged (the PassManager's name for its own entries). */
  readonly pass: string;
  readonly message: string;
  /** Set for diagnostics forwarded from verification. */
  readonly diagnostic?: Diagnostic;
  /** Set for timing entries: milliseconds the pass took. */
  readonly ms?: number;
}

/** Everything a pass may use besides the model. Passed in, never global. */
export interface PassContext {
  /** Checked between passes by the PassManager; long passes should check it too (`signal?.throwIfAborted()`). */
  readonly signal: AbortSignal | undefined;
  /** Where passes send log lines and diagnostics. */
  readonly log: (entry: PassLogEntry) => void;
  /** Free-form options, read by passes that document them (e.g. `{ 'dead-code-elimination': { ... } }`). */
  readonly options: Readonly<Record<string, unknown>>;
  /** When true the PassManager runs `verifyModel` after every pass and fails on an error diagnostic (tests). */
  readonly verify: boolean;
}

export interface PassContextInit {
  readonly signal?: AbortSignal;
  readonly log?: (entry: PassLogEntry) => void;
  readonly options?: Readonly<Record<string, unknown>>;
  readonly verify?: boolean;
}

/** A context with defaults: no signal, log entries dropped, no options, no verification. */
export function createPassContext(init: PassContextInit = {}): PassContext {
  return {
    signal: init.signal,
    log: init.log ?? (() => {}),
    options: init.options ?? {},
    verify: init.verify ?? false,
  };
}

/** The result for "nothing to do": the same model object, `modified: false`. */
export function unchanged(model: Model): PassResult {
  return { model, modified: false };
}

/** The result for `next`, deciding `modified` by identity (so it can never break the identity rule). */
export function resultOf(before: Model, next: Model): PassResult {
  return { model: next, modified: next !== before };
}
