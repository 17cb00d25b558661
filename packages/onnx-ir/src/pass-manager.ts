/**
 * PassManager: runs passes in order, and is itself a Pass (so managers nest).
 *
 * For each pass it: checks the AbortSignal, calls `requires`, `run`, enforces the identity rule (`modified === false`
 * iff the same Model object came back), calls `ensures`, and when verification is on runs `verifyModel` and fails on
 * an error diagnostic. Any failure is rethrown as PassError { passName, previousPasses, cause }. Each pass's wall
 * time is logged (level 'debug', `ms` set) and returned in `timings`. In fixpoint mode the whole list repeats until a
 * round changes nothing; more than `maxIterations` rounds is a PassError (a pass pair that undoes each other).
 */
import { PassAbortedError, PassError, PostconditionError } from './errors-pass.js';
import type { Pass, PassContext, PassResult } from './pass.js';
import type { Model } from './types.js';
import { verifyModel } from './verify.js';
import type { Diagnostic } from './diagnostic.js';

export interface PassManagerOptions {
  /** Name of the manager as a pass (default `pipeline`). */
  readonly name?: string;
  /** Repeat the list until a full round changes nothing. */
  readonly fixpoint?: boolean;
  /** Rounds allowed in fixpoint mode (default 10). */
  readonly maxIterations?: number;
  /** Verify after every pass regardless of `ctx.verify`. */
  readonly verify?: boolean;
}

export interface PassTiming {
  readonly pass: string;
  /** 1-based round (always 1 unless fixpoint). */
  readonly iteration: number;
  readonly ms: number;
  readonly modified: boolean;
}

export interface PassManagerResult extends PassResult {
  readonly timings: readonly PassTiming[];
  /** Rounds run (1 unless fixpoint). */
  readonly iterations: number;
}

export class PassManager implements Pass {
  readonly name: string;
  readonly passes: readonly Pass[];
  readonly #fixpoint: boolean;
  readonly #maxIterations: number;
  readonly #verify: boolean;

  constructor(passes: readonly Pass[], options: PassManagerOptions = {}) {
    this.name = options.name ?? 'pipeline';
    this.passes = [...passes];
    this.#fixpoint = options.fixpoint ?? false;
    this.#maxIterations = options.maxIterations ?? 10;
    this.#verify = options.verify ?? false;
    if (!Number.isInteger(this.#maxIterations) || this.#maxIterations < 1) {
      throw new RangeError(`PassManager "${this.name}": maxIterations must be a positive integer, got ${options.maxIterations}`);
    }
  }

  async run(model: Model, ctx: PassContext): Promise<PassManagerResult> {
    const timings: PassTiming[] = [];
    const previous: string[] = [];
    const verify = this.#verify || ctx.verify;
    let current = model;
    let iteration = 0;
    // Verification fails a pass only for errors it introduced: a model that arrives with problems is not the pass's fault.
    let known = verify ? errorKeys(verifyModel(model)) : new Set<string>();
    for (;;) {
      iteration++;
      let roundModified = false;
      for (const pass of this.passes) {
        if (ctx.signal?.aborted) throw new PassAbortedError(pass.name, [...previous], ctx.signal.reason);
        const t0 = performance.now();
        let result: PassResult;
        try {
          pass.requires?.(current, ctx);
          result = await pass.run(current, ctx);
          checkIdentityRule(pass, current, result);
          pass.ensures?.(result.model, ctx);
          if (verify && result.modified) known = checkVerified(pass, result.model, known);
        } catch (e) {
          throw new PassError(pass.name, [...previous], e);
        }
        const ms = performance.now() - t0;
        timings.push({ pass: pass.name, iteration, ms, modified: result.modified });
        ctx.log({ level: 'debug', pass: pass.name, message: `${pass.name}: ${ms.toFixed(2)} ms${result.modified ? ', modified' : ''}`, ms });
        previous.push(pass.name);
        if (result.modified) roundModified = true;
        current = result.model;
      }
      if (!this.#fixpoint || !roundModified) break;
      if (iteration >= this.#maxIterations) {
        throw new PassError(this.name, [...previous], new PostconditionError(
          `no fixpoint after ${this.#maxIterations} rounds (the last round still modified the model)`, { where: this.name }));
      }
    }
    return { model: current, modified: current !== model, timings, iterations: iteration };
  }
}

function checkIdentityRule(pass: Pass, before: Model, result: PassResult): void {
  if (result === null || typeof result !== 'object' || result.model === undefined) {
    throw new PostconditionError(`returned ${String(result)}, expected { model, modified }`, { where: pass.name });
  }
  const same = result.model === before;
  if (result.modified === same) {
    const msg = same
      ? 'reported modified: true but returned the same model object (identity rule: modified iff a new model)'
      : 'reported modified: false but returned a different model object (identity rule: unchanged means the same object)';
    throw new PostconditionError(msg, { where: pass.name });
  }
}

function errorKeys(diags: readonly Diagnostic[]): Set<string> {
  return new Set(diags.filter((d) => d.severity === 'error').map((d) => `${d.code}|${d.message}`));
}

/** Throws when `m` has error diagnostics not in `known`; returns the error keys of `m`. */
function checkVerified(pass: Pass, m: Model, known: ReadonlySet<string>): Set<string> {
  const diags = verifyModel(m);
  const errors = diags.filter((d) => d.severity === 'error' && !known.has(`${d.code}|${d.message}`));
  if (errors.length > 0) {
    const shown = errors.slice(0, 3).map((d) => `${d.code}: ${d.message}`).join('; ');
    throw new PostconditionError(`the model fails verification after the pass (${errors.length} new error(s)): ${shown}`, { where: pass.name, diagnostics: errors });
  }
  return errorKeys(diags);
}
