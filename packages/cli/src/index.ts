export { buildProgram, main } from './program.js';
export type { Io } from './io.js';
export { ExitCode, UsageError, exitCodeFor } from './exit-codes.js';
export { openCalibrationData } from './data/source.js';
export type { Feeds, ImagePreprocessing, SourceOptions } from './data/source.js';
export type { InputSpec } from './data/fit.js';
export { DataFormatError } from './data/errors.js';
