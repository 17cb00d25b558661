/**
 * The onnx-ir pass contract as the rewriters use it. Every rewriter is a plain `Pass`; `result()` applies the
 * identity rule (`modified` iff a different model object comes back).
 */
import { resultOf } from '@lowbit/onnx-ir';
import type { Model, Pass, PassContext, PassResult } from '@lowbit/onnx-ir';

export type RewritePass = Pass;
export type RewriteContext = PassContext;
export type RewriteResult = PassResult;

export function result(before: Model, after: Model): PassResult {
  return resultOf(before, after);
}

/** Options a pass reads from `ctx.options[passName]` (a record), or undefined. */
export function passOptions<T>(ctx: PassContext | undefined, passName: string): Partial<T> | undefined {
  const o = ctx?.options?.[passName];
  return o && typeof o === 'object' ? (o as Partial<T>) : undefined;
}
