import { LowbitError } from '@lowbit/onnx-ir';

export interface DataErrorContext {
  readonly path: string;
  readonly expected?: string;
  readonly actual?: string;
}

/** Calibration or input data that cannot be read or does not fit the model. Exit code 2 (usage) in the CLI. */
export class DataFormatError extends LowbitError<DataErrorContext> {
  constructor(message: string, context: DataErrorContext, cause?: unknown) {
    super('DATA_FORMAT', message, { context, cause });
  }
}
