/**
 * Errors raised while reading and writing ONNX bytes and external tensor data. Both have a stable `code` and a typed
 * `context` saying where the problem is.
 */
import { LowbitError } from './lowbit-error.js';

export interface ModelFormatContext {
  /** What was being decoded or encoded: `model`, `tensor`, or a file path. */
  readonly what: string;
  /** Where inside it, e.g. `graph.initializer[3] "w"` or `node "conv1" attribute "value"`, when known. */
  readonly where?: string;
  /** The IR version found, for unsupported-version errors. */
  readonly irVersion?: number;
  /** Byte length of the input, when decoding bytes. */
  readonly byteLength?: number;
}

/**
 * The bytes are not a valid ONNX protobuf message (truncated, corrupt, wrong field types), describe something the IR
 * cannot hold (unsupported IR version, an impossible tensor size), or a tensor cannot be encoded as asked.
 */
export class ModelFormatError extends LowbitError<ModelFormatContext> {
  static readonly CODE = 'MODEL_FORMAT';
  constructor(message: string, context: ModelFormatContext, cause?: unknown) {
    super(ModelFormatError.CODE, message, { context, cause });
  }
}

export interface ExternalDataContext {
  /** The tensor whose external data could not be read or written. */
  readonly tensorName: string;
  /** The `location` written in the model (relative to the model's folder). */
  readonly location: string;
  /** The model's folder the location is confined to, when known. */
  readonly baseDir?: string;
  /** The file offset and length asked for, when relevant. */
  readonly offset?: number;
  readonly length?: number;
}

/**
 * External tensor data cannot be read or written: the location leaves the model's folder (`..`, an absolute path, a
 * symbolic link pointing outside), the file is missing or too short, or the model has no base folder to resolve it.
 */
export class ExternalDataError extends LowbitError<ExternalDataContext> {
  static readonly CODE = 'EXTERNAL_DATA';
  constructor(message: string, context: ExternalDataContext, cause?: unknown) {
    super(ExternalDataError.CODE, message, { context, cause });
  }
}

export interface TensorDataContext {
  readonly tensorName: string;
  readonly dtype: string;
  readonly dims: readonly number[];
  /** Index of the first offending element, when one value is the problem. */
  readonly index?: number;
}

/**
 * Values given to `tensorFromValues` do not fit the dtype or the dims (wrong storage class, wrong element count, an
 * int4 value outside [-8, 7], ...).
 */
export class TensorDataError extends LowbitError<TensorDataContext> {
  static readonly CODE = 'TENSOR_DATA';
  constructor(message: string, context: TensorDataContext, cause?: unknown) {
    super(TensorDataError.CODE, message, { context, cause });
  }
}
