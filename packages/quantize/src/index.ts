export { quantizeStatic } from './quantize-static.js';
export { calibrateStatic } from './calibrate-static.js';
export type { CalibrateStaticOptions } from './calibrate-static.js';
export { mergeStatistics } from './merge-statistics.js';
export type { ShardSelector } from './sharding.js';
export { StatisticsMismatchError } from './statistics-mismatch.js';
export type { StatisticsMismatchDetail } from './statistics-mismatch.js';
export { STATISTICS_FORMAT_VERSION, STATISTICS_MAGIC, readStatisticsInfo } from './statistics-file.js';
export type { ShardCoverage, StatisticsInfo } from './statistics-file.js';
export { quantizeDynamic } from './quantize-dynamic.js';
export { quantizeWeightOnly } from './quantize-weight-only.js';
export { quantizeWithRecipe, runRecipe } from './quantize-recipe.js';
export type { RecipeInputs } from './quantize-recipe.js';
export { parseRecipe } from './recipe.js';
export type { Recipe } from './recipe.js';
export { QuantizeError } from './errors.js';
export { AlreadyQuantizedError, quantizedOperators } from './quantized-input.js';
export type { AlreadyQuantizedContext } from './quantized-input.js';
export type { QuantizeErrorContext } from './errors.js';
export { CalibrationMethod, QuantFormat, QuantType } from './types.js';
export type { IntQuantDType } from '@lowbit/qparams';
export type {
  CalibrationData, CalibrationDataReader, CommonOptions, DynamicQuantizeOptions, Feeds, FeedTensor, ModelInput,
  ModelRunnerFactory, NodeOverride, SaveOptions, StaticQuantizeOptions, TensorOverride, WeightOnlyQuantizeOptions,
} from './types.js';
export { METADATA_KEYS, statisticsHash } from './metadata.js';
export { QUANTIZE_VERSION } from './version.js';
export { coverageOf, measureCoverage, COVERAGE_KEY } from './coverage.js';
export type { Coverage, KeptFloat } from './coverage.js';
export { layerSensitivity } from './sensitivity.js';
export type { LayerSensitivity, SensitivityOptions } from './sensitivity.js';
export { quantizeDynamicBytes, quantizeStaticBytes, quantizeWeightOnlyBytes } from './bytes.js';
export { quantizeWithAccuracy } from './accuracy/quantize-with-accuracy.js';
export type { AccuracyOptions, AccuracyResult } from './accuracy/quantize-with-accuracy.js';
export type { TuningTrial } from './accuracy/trial.js';
export { outputSqnr, top1Agreement } from './accuracy/evaluators.js';
export type { EvaluateFn, Evaluator, ModelOutputs } from './accuracy/evaluators.js';
export { countWeights } from './accuracy/weights.js';
export type { WeightCount } from './accuracy/weights.js';
