import { LowbitError } from '@lowbit/onnx-ir';

/** Where a rewrite failed: the pass, and when known the node and input. */
export interface RewriteErrorContext {
  readonly pass: string;
  readonly nodeName?: string;
  readonly opType?: string;
  readonly inputIndex?: number;
  readonly tensor?: string;
  readonly expected?: string;
  readonly actual?: string;
}

/**
 * A model a rewriter pass cannot transform as asked (bad input, unsupported form). Code `REWRITE`.
 * The message names the pass and, when known, the node, the input and expected vs actual.
 */
export class RewriteError extends LowbitError<RewriteErrorContext> {
  constructor(context: RewriteErrorContext, what: string, cause?: unknown) {
    const where = context.nodeName !== undefined ? `: node "${context.nodeName}" (${context.opType ?? '?'})` : '';
    const input = context.inputIndex !== undefined ? `: input[${context.inputIndex}]` : '';
    const tensor = context.tensor !== undefined ? ` "${context.tensor}"` : '';
    const exp = context.expected !== undefined ? `, expected ${context.expected}` : '';
    const act = context.actual !== undefined ? `, got ${context.actual}` : '';
    super('REWRITE', `pass "${context.pass}"${where}${input}${tensor}: ${what}${exp}${act}`, { context, cause });
  }
}
