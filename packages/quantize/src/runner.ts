/**
 * The model runner used for calibration (static ranges, GPTQ activations) and constant folding. An injected
 * `options.runner` wins; otherwise @lowbit/runtime's Session runs the model with value hooks.
 */
import type { Model } from '@lowbit/onnx-ir';
import type { ObservableModel } from '@lowbit/calibrators';
import { QuantizeError } from './errors.js';
import type { ModelRunnerFactory } from './types.js';

/** Shape of the runtime API this adapter needs (checked at run time, so a missing runtime is a clear error). */
interface RuntimeSessionLike {
  readonly inputNames: readonly string[];
  run(feeds: Record<string, unknown>, options?: unknown): Promise<Record<string, unknown>>;
}
interface RuntimeModuleLike {
  readonly Session?: { create(model: Model, options?: unknown): Promise<RuntimeSessionLike> };
}

export async function runnerFor(model: Model, injected: ModelRunnerFactory | undefined, where: string): Promise<ObservableModel> {
  if (injected) return injected(model);
  const rt = (await import('@lowbit/runtime')) as unknown as RuntimeModuleLike;
  if (!rt.Session) {
    throw new QuantizeError({ where, option: 'runner', expected: '@lowbit/runtime Session or an injected runner' }, 'no model runner is available');
  }
  const session = await rt.Session.create(model);
  // A runtime Session is an ObservableModel structurally: run(feeds, { observe, onValue }).
  return {
    inputNames: session.inputNames,
    run: async (feeds, observer) => { await session.run(feeds as Record<string, unknown>, observer); },
  };
}
