export { LowbitError, invariant } from './lowbit-error.js';
export type { LowbitErrorOptions } from './lowbit-error.js';
export { QParamsError } from './qparams-error.js';
export type { QParamsErrorContext } from './qparams-error.js';
export { roundHalfEven } from './round.js';
export { QUANT_DTYPES, isQuantDType, isFloatQuantDType, allocQuant, intInfo } from './dtypes.js';
export type { QuantDType, IntQuantDType, FloatQuantDType, QuantStorage } from './dtypes.js';
export {
  float16ToFloat32, float32ToFloat16, bfloat16ToFloat32, float32ToBfloat16, float8ToFloat32, float32ToFloat8,
  float4e2m1ToFloat32, float32ToFloat4e2m1,
} from './float-bits.js';
export type { Float8Kind } from './float-bits.js';
export {
  BFLOAT16, FLOAT16, FLOAT4E2M1, FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2, FLOAT8E5M2FNUZ, smallFloatFormat,
} from './float-bits.js';
export { defineMiniFloat, maxFinite, miniFloatToNumber, numberToMiniFloat } from './minifloat.js';
export type { MiniFloatFormat, MiniFloatSpec } from './minifloat.js';
export { float32ToFloat8e8m0, float8e8m0ToFloat32 } from './float8e8m0.js';
export { packInt4, unpackInt4, packSubByte, unpackSubByte } from './pack.js';
export { resolveLayout, paramIndexMap, normalizeAxis } from './layout.js';
export type { Granularity, ParamLayout } from './layout.js';
export type { QuantParams } from './quant-params.js';
export { quantize } from './quantize.js';
export type { QuantizeOptions, DivisionPrecision } from './quantize.js';
export { dequantize } from './dequantize.js';
export type { DequantizeOptions, DequantizeOutput, DequantParams } from './dequantize.js';
export { dynamicQuantize } from './dynamic-quantize.js';
export type { DynamicQuantized } from './dynamic-quantize.js';
export { qparamsFromRange, targetRange, ceilPowerOfTwo, SCALE_EPSILON } from './qparams-from-range.js';
export type { Range, Scheme, QParamsOptions, QParams } from './qparams-from-range.js';
export { chooseQParams } from './choose-qparams.js';
export type { ChooseQParamsOptions, ChosenQParams, FloatTensorLike } from './choose-qparams.js';
export { PRESETS } from './presets.js';
export type { PresetName } from './presets.js';
