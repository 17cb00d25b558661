/**
 * Errors raised by graph editing, verification and passes. Every class has a stable `code` (the CLI maps codes to
 * exit codes) and a typed `context` saying where the problem is.
 */
import { LowbitError } from './lowbit-error.js';
import type { Diagnostic } from './diagnostic.js';

export interface PreconditionContext {
  /** The pass or operation whose precondition failed, e.g. `topological-sort` or `editor.removeNode`. */
  readonly where: string;
  /** Node names involved, if any (a cycle lists its nodes here). */
  readonly nodes?: readonly string[];
  /** Value names involved, if any. */
  readonly values?: readonly string[];
  readonly diagnostics?: readonly Diagnostic[];
}

/** A pass (or an editor operation) was given a model that does not meet its documented precondition. */
export class PreconditionError extends LowbitError<PreconditionContext> {
  static readonly CODE = 'PRECONDITION';
  constructor(message: string, context: PreconditionContext, cause?: unknown) {
    super(PreconditionError.CODE, message, { context, cause });
  }
}

export interface PostconditionContext {
  /** The pass whose postcondition failed. */
  readonly where: string;
  readonly diagnostics?: readonly Diagnostic[];
}

/** A pass produced a result that breaks its contract (identity rule, `ensures`, or verification after the pass). */
export class PostconditionError extends LowbitError<PostconditionContext> {
  static readonly CODE = 'POSTCONDITION';
  constructor(message: string, context: PostconditionContext, cause?: unknown) {
    super(PostconditionError.CODE, message, { context, cause });
  }
}

export interface PassErrorContext {
  /** The pass that failed. */
  readonly passName: string;
  /** Passes that ran before it in this PassManager run, in order (a pass repeated in fixpoint mode appears again). */
  readonly previousPasses: readonly string[];
}

/** Any failure inside a pass run by a PassManager. `cause` holds the original error. */
export class PassError extends LowbitError<PassErrorContext> {
  static readonly CODE = 'PASS';
  readonly passName: string;
  readonly previousPasses: readonly string[];
  constructor(passName: string, previousPasses: readonly string[], cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(PassError.CODE, `pass "${passName}": ${why}`, { context: { passName, previousPasses }, cause });
    this.passName = passName;
    this.previousPasses = previousPasses;
  }
}

/** The AbortSignal given to a PassManager fired; the model at that point is discarded. */
export class PassAbortedError extends LowbitError<PassErrorContext> {
  static readonly CODE = 'PASS_ABORTED';
  constructor(passName: string, previousPasses: readonly string[], reason: unknown) {
    super(PassAbortedError.CODE, `aborted before pass "${passName}"`, { context: { passName, previousPasses }, cause: reason });
  }
}

export interface NodeErrorContext {
  readonly nodeName: string;
  readonly opType: string;
  /** Names from the outermost graph's node down to this node (subgraph nesting); `[nodeName]` at top level. */
  readonly nodePath: readonly string[];
  /** The input the problem is about, if any. */
  readonly inputIndex?: number;
  /** The attribute the problem is about, if any. */
  readonly attribute?: string;
}

/**
 * Something is wrong with one node: a missing or mistyped attribute, an input of the wrong kind.
 * Message form: `node "conv1" (Conv): input[1] "w" has dtype int16, expected int8|uint8`.
 */
export class NodeError extends LowbitError<NodeErrorContext> {
  static readonly CODE = 'NODE';
  readonly nodeName: string;
  readonly opType: string;
  readonly nodePath: readonly string[];
  readonly inputIndex: number | undefined;
  constructor(node: { readonly name: string; readonly opType: string }, detail: string, extra: { inputIndex?: number; attribute?: string; nodePath?: readonly string[]; cause?: unknown } = {}) {
    const nodePath = extra.nodePath ?? [node.name];
    const context: NodeErrorContext = {
      nodeName: node.name, opType: node.opType, nodePath,
      ...(extra.inputIndex !== undefined ? { inputIndex: extra.inputIndex } : {}),
      ...(extra.attribute !== undefined ? { attribute: extra.attribute } : {}),
    };
    const where = nodePath.length > 1 ? ` at ${nodePath.join(' > ')}` : '';
    super(NodeError.CODE, `node "${node.name}" (${node.opType})${where}: ${detail}`, { context, cause: extra.cause });
    this.nodeName = node.name;
    this.opType = node.opType;
    this.nodePath = nodePath;
    this.inputIndex = extra.inputIndex;
  }
}
