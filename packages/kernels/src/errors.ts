import { LowbitError } from '@lowbit/qparams';

export interface KernelErrorContext {
  readonly key?: string;
  readonly variant?: string;
  readonly node?: string;
  readonly opType?: string;
  readonly inputIndex?: number;
  readonly expected?: string;
  readonly actual?: string;
  readonly [k: string]: unknown;
}

/** A kernel cannot run what it was given (bad attribute, shape or dtype). The runtime wraps it in a NodeError. */
export class KernelError extends LowbitError<KernelErrorContext> {
  constructor(message: string, context: KernelErrorContext = {}, cause?: unknown) {
    super('KERNEL', message, { context, cause });
  }
}

/** No registered variant for a kernel key. */
export class NoKernelError extends LowbitError<{ readonly key: string; readonly tried: readonly string[] }> {
  constructor(key: string, tried: readonly string[]) {
    super('NO_KERNEL', `no kernel for "${key}" (tried ${tried.map((t) => `"${t}"`).join(', ')})`, { context: { key, tried } });
  }
}
