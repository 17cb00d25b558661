import { roundHalfEven } from './round.js';

/**
 * A small binary floating-point format: 1 sign bit, `expBits` exponent bits, `manBits` mantissa bits, `bias`.
 * `special` says how the format spends its top codes:
 * - `ieee`: exponent all ones is Inf (mantissa 0) or NaN (float16, bfloat16, float8e5m2).
 * - `fn`: no infinities; only exponent and mantissa all ones is NaN (float8e4m3fn).
 * - `fnuz`: no infinities, no negative zero; the single NaN is `0x80` (float8e4m3fnuz, float8e5m2fnuz).
 * - `finite`: no NaN, no infinities (float4e2m1).
 */
export interface MiniFloatSpec {
  readonly expBits: number;
  readonly manBits: number;
  readonly bias: number;
  readonly special: 'ieee' | 'fn' | 'fnuz' | 'finite';
  /** Bit pattern returned for NaN (positive; `fnuz`: 0x80; `finite`: what ONNX gives, 0x8 (-0) for float4e2m1). */
  readonly nanBits: number;
}

/** A {@link MiniFloatSpec} with its derived constants (build with {@link defineMiniFloat}). */
export interface MiniFloatFormat extends MiniFloatSpec {
  readonly signBit: number;
  /** Bits of the largest finite value (without sign). */
  readonly maxBits: number;
  readonly maxFinite: number;
  /** Exponent of the smallest normal value: 1 - bias. */
  readonly emin: number;
}

/** Derives the constants of a format once; the result is frozen. */
export function defineMiniFloat(f: MiniFloatSpec): MiniFloatFormat {
  const signBit = 1 << (f.expBits + f.manBits);
  const expAll = (1 << f.expBits) - 1;
  const manAll = (1 << f.manBits) - 1;
  let maxExpField: number;
  let maxMan: number;
  if (f.special === 'ieee') { maxExpField = expAll - 1; maxMan = manAll; }
  else if (f.special === 'fn') { maxExpField = expAll; maxMan = manAll - 1; }
  else { maxExpField = expAll; maxMan = manAll; }
  const maxBits = (maxExpField << f.manBits) | maxMan;
  const maxFinite = (1 + maxMan / (1 << f.manBits)) * 2 ** (maxExpField - f.bias);
  return Object.freeze({ ...f, signBit, maxBits, maxFinite, emin: 1 - f.bias });
}

/** Largest finite value of the format (448 for float8e4m3fn, 57344 for float8e5m2, 6 for float4e2m1, ...). */
export function maxFinite(f: MiniFloatFormat): number {
  return f.maxFinite;
}

/** floor(log2(a)) for a finite a > 0, exact (Math.log2 alone can be off by one next to powers of two). */
function exponentOf(a: number): number {
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  return e;
}

/** Decodes a bit pattern to its exact value (every value of these formats is a float32). */
export function miniFloatToNumber(bits: number, f: MiniFloatFormat): number {
  const { signBit } = f;
  const expAll = (1 << f.expBits) - 1;
  const manAll = (1 << f.manBits) - 1;
  if (f.special === 'fnuz' && bits === signBit) return NaN;
  const neg = (bits & signBit) !== 0;
  const e = (bits >> f.manBits) & expAll;
  const m = bits & manAll;
  if (f.special === 'ieee' && e === expAll) return m === 0 ? (neg ? -Infinity : Infinity) : NaN;
  if (f.special === 'fn' && e === expAll && m === manAll) return NaN;
  const mag = e === 0 ? m * 2 ** (1 - f.bias - f.manBits) : (1 + m / (1 << f.manBits)) * 2 ** (e - f.bias);
  return neg ? -mag : mag;
}

/**
 * Encodes `x` with round-to-nearest-even (exact: rounding is done on the given double, so a float32 input is
 * rounded once). Overflow (after rounding) and infinities:
 * - `saturate` true: +-max finite (ONNX Cast/QuantizeLinear `saturate=1`).
 * - `saturate` false: `ieee` gives +-Inf, `fn` gives NaN (sign kept), `fnuz` gives NaN `0x80`, `finite` saturates
 *   anyway (nothing else to give).
 * NaN gives the format's NaN (`finite`: `nanBits`, i.e. 0x8 (-0) for float4e2m1 as ONNX's Cast does). Negative zero and negative
 * values that round to zero keep the sign bit, except in `fnuz` (no -0).
 */
export function numberToMiniFloat(x: number, f: MiniFloatFormat, saturate: boolean): number {
  const { signBit, maxBits, maxFinite: max, emin } = f;
  if (Number.isNaN(x)) return f.nanBits;
  const neg = x < 0 || Object.is(x, -0);
  const sign = neg ? signBit : 0;
  const a = Math.abs(x);
  let q: number;
  if (a === Infinity) {
    q = Infinity;
  } else if (a === 0) {
    q = 0;
  } else {
    const e = Math.max(exponentOf(a), emin);
    const quantum = 2 ** (e - f.manBits);
    q = roundHalfEven(a / quantum) * quantum;
  }
  if (q > max) {
    if (saturate || f.special === 'finite') return sign | maxBits;
    if (f.special === 'ieee') return sign | (((1 << f.expBits) - 1) << f.manBits);
    if (f.special === 'fn') return sign | f.nanBits;
    return f.nanBits;
  }
  if (q === 0) return f.special === 'fnuz' ? 0 : sign;
  const e = exponentOf(q);
  let bits: number;
  if (e < emin) bits = q / 2 ** (emin - f.manBits);
  else bits = ((e + f.bias) << f.manBits) | ((q / 2 ** e - 1) * (1 << f.manBits));
  return sign | bits;
}
