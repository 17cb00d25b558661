import { defineMiniFloat, type MiniFloatFormat, miniFloatToNumber, numberToMiniFloat } from './minifloat.js';

/**
 * Bit-pattern conversions between float32 values (JS numbers) and the 16-, 8- and 4-bit float formats ONNX uses.
 * Float -> bits rounds to nearest, ties to even; bits -> float is exact. This is the one owner of these encodings:
 * kernels (Cast, QuantizeLinear, tensor storage) and the quantizer all go through it.
 */

export const FLOAT16: MiniFloatFormat = defineMiniFloat({ expBits: 5, manBits: 10, bias: 15, special: 'ieee', nanBits: 0x7e00 });
export const BFLOAT16: MiniFloatFormat = defineMiniFloat({ expBits: 8, manBits: 7, bias: 127, special: 'ieee', nanBits: 0x7fc0 });
export const FLOAT8E4M3FN: MiniFloatFormat = defineMiniFloat({ expBits: 4, manBits: 3, bias: 7, special: 'fn', nanBits: 0x7f });
export const FLOAT8E4M3FNUZ: MiniFloatFormat = defineMiniFloat({ expBits: 4, manBits: 3, bias: 8, special: 'fnuz', nanBits: 0x80 });
export const FLOAT8E5M2: MiniFloatFormat = defineMiniFloat({ expBits: 5, manBits: 2, bias: 15, special: 'ieee', nanBits: 0x7e });
export const FLOAT8E5M2FNUZ: MiniFloatFormat = defineMiniFloat({ expBits: 5, manBits: 2, bias: 16, special: 'fnuz', nanBits: 0x80 });
/** No NaN code: NaN encodes as 0x8 (-0), what ONNX's Cast gives (test_cast_FLOAT_to_FLOAT4E2M1). */
export const FLOAT4E2M1: MiniFloatFormat = defineMiniFloat({ expBits: 2, manBits: 1, bias: 1, special: 'finite', nanBits: 0x8 });

export type Float8Kind = 'float8e4m3fn' | 'float8e4m3fnuz' | 'float8e5m2' | 'float8e5m2fnuz';

const F8: Readonly<Record<Float8Kind, MiniFloatFormat>> = Object.freeze({
  float8e4m3fn: FLOAT8E4M3FN, float8e4m3fnuz: FLOAT8E4M3FNUZ, float8e5m2: FLOAT8E5M2, float8e5m2fnuz: FLOAT8E5M2FNUZ,
});

/** The format descriptor of a float8 kind or float4e2m1. */
export function smallFloatFormat(kind: Float8Kind | 'float4e2m1'): MiniFloatFormat {
  return kind === 'float4e2m1' ? FLOAT4E2M1 : F8[kind];
}

/** IEEE half bits -> value. `float16ToFloat32(0x3c00) === 1`, `0x7c00` -> Infinity. */
export function float16ToFloat32(bits: number): number {
  return miniFloatToNumber(bits & 0xffff, FLOAT16);
}

/** Value -> IEEE half bits (RNE, overflow to Inf, NaN -> 0x7e00). `float32ToFloat16(65520) === 0x7c00`. */
export function float32ToFloat16(x: number): number {
  return numberToMiniFloat(x, FLOAT16, false);
}

/** bfloat16 bits -> value (exact: the top half of a float32). */
export function bfloat16ToFloat32(bits: number): number {
  return miniFloatToNumber(bits & 0xffff, BFLOAT16);
}

/** Value -> bfloat16 bits (RNE, overflow to Inf, NaN -> 0x7fc0). */
export function float32ToBfloat16(x: number): number {
  return numberToMiniFloat(x, BFLOAT16, false);
}

/** float8 bits -> value. E.g. e4m3fn `0x7e` -> 448, `0x7f` -> NaN; e5m2 `0x7c` -> Infinity; fnuz `0x80` -> NaN. */
export function float8ToFloat32(bits: number, kind: Float8Kind): number {
  return miniFloatToNumber(bits & 0xff, F8[kind]);
}

/**
 * Value -> float8 bits, RNE, with ONNX `saturate` semantics (Cast-19+, QuantizeLinear-19+): saturate=true maps
 * overflow and +-Inf to +-max finite (448, 240, 57344, 57344); saturate=false maps them to Inf (e5m2) or NaN
 * (e4m3fn keeps the sign: 0x7f/0xff; fnuz: 0x80). NaN -> NaN. Example: e4m3fn(500) = 0x7e (448) saturating,
 * 0x7f (NaN) not; e4m3fn(464) = 0x7e (tie to even mantissa).
 */
export function float32ToFloat8(x: number, kind: Float8Kind, saturate = true): number {
  return numberToMiniFloat(x, F8[kind], saturate);
}

/** float4e2m1 nibble -> value: 0, 0.5, 1, 1.5, 2, 3, 4, 6 and negatives (bit 3 is the sign). */
export function float4e2m1ToFloat32(bits: number): number {
  return miniFloatToNumber(bits & 0xf, FLOAT4E2M1);
}

/** Value -> float4e2m1 nibble, RNE, always saturating to +-6; NaN -> 0x8 (-0), as ONNX's Cast does. Example: 5 -> 0x6 (4, tie to even), -7 -> 0xF (-6). */
export function float32ToFloat4e2m1(x: number): number {
  return numberToMiniFloat(x, FLOAT4E2M1, true);
}
