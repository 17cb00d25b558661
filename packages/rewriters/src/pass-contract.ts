/**
 * The pass contract of DESIGN.md, structurally. Rewriter passes are plain objects satisfying onnx-ir's `Pass`;
 * these local aliases keep the rewriters compiling against the contract's shape.
 */
import type { Model } from '@lowbit/onnx-ir';

/** What a rewriter pass reads from the pass context (all optional). */
export interface RewriteContext {
  readonly signal?: AbortSignal;
  readonly [key: string]: unknown;
}

export interface RewriteResult {
  readonly model: Model;
  readonly modified: boolean;
}

export interface RewritePass {
  readonly name: string;
  requires?(m: Model, ctx: RewriteContext): void;
  run(m: Model, ctx: RewriteContext): RewriteResult | Promise<RewriteResult>;
  ensures?(m: Model, ctx: RewriteContext): void;
}

/** The identity-rule result: `modified` iff a different model object comes back. */
export function result(before: Model, after: Model): RewriteResult {
  return { model: after, modified: after !== before };
}
