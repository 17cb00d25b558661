/**
 * Runtime errors. All extend `LowbitError` (stable `code`, typed `context`, `cause`); node-level failures use
 * `NodeError` from `@lowbit/onnx-ir` so callers see one class for "something is wrong with this node".
 */
import { LowbitError } from '@lowbit/qparams';

export interface FeedErrorContext {
  /** The graph input the problem is about. */
  readonly input: string;
  readonly expected: string;
  readonly actual: string;
  /** For a dimension mismatch: the axis. */
  readonly axis?: number;
}

/**
 * A feed given to `session.run` does not match the graph: unknown name, missing input, wrong dtype, rank or fixed
 * dimension. Message form: `input "x": dtype int32, expected float32`.
 */
export class FeedError extends LowbitError<FeedErrorContext> {
  static readonly CODE = 'FEED';
  constructor(context: FeedErrorContext, detail: string) {
    super(FeedError.CODE, `input "${context.input}": ${detail}`, { context });
  }
}

export interface BackendErrorContext {
  readonly backend: string;
  readonly available: readonly string[];
}

/** The requested backend (`wasm`, `native`) is not installed or cannot load on this machine. */
export class BackendUnavailableError extends LowbitError<BackendErrorContext> {
  static readonly CODE = 'BACKEND_UNAVAILABLE';
  constructor(context: BackendErrorContext, why: string, cause?: unknown) {
    super(BackendUnavailableError.CODE, `backend "${context.backend}" is not available: ${why} (available: ${context.available.join(', ')})`, { context, cause });
  }
}

export interface SessionOptionErrorContext {
  readonly option: string;
  readonly expected: string;
  readonly actual: string;
}

/** A session or run option has a value the runtime does not accept. */
export class SessionOptionError extends LowbitError<SessionOptionErrorContext> {
  static readonly CODE = 'SESSION_OPTION';
  constructor(context: SessionOptionErrorContext) {
    super(SessionOptionError.CODE, `option "${context.option}": got ${context.actual}, expected ${context.expected}`, { context });
  }
}

export interface OutputErrorContext {
  readonly output: string;
}

/** A graph output (or a fetched name) was never produced by the plan. */
export class MissingValueError extends LowbitError<OutputErrorContext> {
  static readonly CODE = 'MISSING_VALUE';
  constructor(output: string, detail: string) {
    super(MissingValueError.CODE, `value "${output}": ${detail}`, { context: { output } });
  }
}

export interface ResourceLimitErrorContext {
  /** The limit's option name (`memoryLimit`, `timeoutMs`). */
  readonly limit: string;
  /** The limit, in `unit`. */
  readonly max: number;
  /** What the refused request would have brought the total to (bytes), or the time spent (ms). */
  readonly requested: number;
  readonly unit: 'bytes' | 'ms';
}

/**
 * A run would go past a configured resource limit (SessionOptions `memoryLimit`, RunOptions `timeoutMs`): refused
 * with this error before the allocation or between steps, instead of the process aborting out of memory or never
 * returning. Inside a node it arrives as the cause of a NodeError.
 */
export class ResourceLimitError extends LowbitError<ResourceLimitErrorContext> {
  static readonly CODE = 'RESOURCE_LIMIT';
  constructor(context: ResourceLimitErrorContext, what: string) {
    super(ResourceLimitError.CODE, `${what}: ${context.requested.toFixed(0)} ${context.unit}, more than the ${context.limit} of ${context.max} ${context.unit}`, { context });
  }
}
