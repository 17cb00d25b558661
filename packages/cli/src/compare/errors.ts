import { LowbitError } from '@lowbit/onnx-ir';

export interface ModelMismatchContext {
  /** The input or output that differs, or '' for a count mismatch. */
  readonly value: string;
  readonly expected: string;
  readonly actual: string;
}

/**
 * The float and quantized models given to `lowbit compare` do not take the same inputs (names, dtypes, shapes) or
 * do not give the same number of outputs. Code 'USAGE' (exit code 2): the user passed two unrelated models.
 */
export class ModelMismatchError extends LowbitError<ModelMismatchContext> {
  constructor(message: string, context: ModelMismatchContext) {
    super('USAGE', message, { context });
  }
}
