/**
 * Bit-level conversions between JS numbers and the small float formats kernels store as bit patterns
 * (float16, bfloat16, the float8 kinds, float8e8m0, float4e2m1).
 *
 * Encoding is round-to-nearest, ties to even, on the exact value. Overflow behaviour per format kind:
 * - `ieee` (float16, bfloat16, float8e5m2): has infinities. Overflow -> +-Inf, or +-max when `saturate`.
 * - `fn` (float8e4m3fn): no infinities, NaN = S.1111.111. Overflow and +-Inf -> NaN, or +-max when `saturate`.
 * - `fnuz` (float8e4m3fnuz, float8e5m2fnuz): no infinities, no -0, NaN = 0x80. Overflow/Inf -> NaN, or +-max when `saturate`.
 * - `e8m0`: exponent only, 2^(e-127), 0xFF = NaN.
 * - `fp4` (float4e2m1): no NaN/Inf, always saturates; NaN encodes as 0b1000 (-0), as the ONNX reference does.
 *
 * Example: float8e4m3fn encodes 0.3 -> 0x2A (0.3125 = 1.25 * 2^-2); 500 -> 0x7E (448) with saturate, 0x7F (NaN) without.
 */
export interface MiniFloat {
  readonly ebits: number;
  readonly mbits: number;
  readonly bias: number;
  readonly kind: 'ieee' | 'fn' | 'fnuz' | 'fp4';
}

export const F16: MiniFloat = { ebits: 5, mbits: 10, bias: 15, kind: 'ieee' };
export const BF16: MiniFloat = { ebits: 8, mbits: 7, bias: 127, kind: 'ieee' };
export const F8E4M3FN: MiniFloat = { ebits: 4, mbits: 3, bias: 7, kind: 'fn' };
export const F8E4M3FNUZ: MiniFloat = { ebits: 4, mbits: 3, bias: 8, kind: 'fnuz' };
export const F8E5M2: MiniFloat = { ebits: 5, mbits: 2, bias: 15, kind: 'ieee' };
export const F8E5M2FNUZ: MiniFloat = { ebits: 5, mbits: 2, bias: 16, kind: 'fnuz' };
export const F4E2M1: MiniFloat = { ebits: 2, mbits: 1, bias: 1, kind: 'fp4' };

/** Largest finite value of a format. */
export function maxFinite(f: MiniFloat): number {
  const top = (1 << f.ebits) - 1;
  const m = 2 ** f.mbits;
  switch (f.kind) {
    case 'ieee': return (2 - 1 / m) * 2 ** (top - 1 - f.bias);
    case 'fn': return (2 - 2 / m) * 2 ** (top - f.bias);
    default: return (2 - 1 / m) * 2 ** (top - f.bias);
  }
}

function nanBits(f: MiniFloat): number {
  const signShift = f.ebits + f.mbits;
  if (f.kind === 'fnuz') return 1 << signShift;
  if (f.kind === 'fn') return (1 << signShift) - 1;
  if (f.kind === 'fp4') return 1 << signShift;
  return (((1 << f.ebits) - 1) << f.mbits) | (1 << (f.mbits - 1));
}

function rhe(x: number): number {
  const fl = Math.floor(x);
  const d = x - fl;
  return d > 0.5 ? fl + 1 : d < 0.5 ? fl : fl % 2 === 0 ? fl : fl + 1;
}

/** Encode `x` into the bit pattern of `f` (round to nearest even). */
export function encodeMiniFloat(x: number, f: MiniFloat, saturate = false): number {
  const signShift = f.ebits + f.mbits;
  if (Number.isNaN(x)) return nanBits(f);
  const neg = x < 0 || Object.is(x, -0);
  const sign = neg ? 1 << signShift : 0;
  const a = Math.abs(x);
  const max = maxFinite(f);
  const overflow = (): number => {
    if (saturate || f.kind === 'fp4') return sign | encodeMiniFloat(max, f);
    if (f.kind === 'ieee') return sign | (((1 << f.ebits) - 1) << f.mbits);
    return f.kind === 'fnuz' ? nanBits(f) : sign | nanBits(f);
  };
  if (a === Infinity) return overflow();
  if (a === 0) return f.kind === 'fnuz' ? 0 : sign;
  const minExp = 1 - f.bias;
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  if (e < minExp) e = minExp;
  const quantum = 2 ** (e - f.mbits);
  const q = rhe(a / quantum) * quantum;
  if (q > max) return overflow();
  if (q === 0) return f.kind === 'fnuz' ? 0 : sign;
  if (q < 2 ** minExp) return sign | (q / 2 ** (minExp - f.mbits));
  let e2 = Math.floor(Math.log2(q));
  if (2 ** e2 > q) e2--;
  else if (2 ** (e2 + 1) <= q) e2++;
  const mant = q / 2 ** (e2 - f.mbits) - 2 ** f.mbits;
  return sign | ((e2 + f.bias) << f.mbits) | mant;
}

/** Decode a bit pattern of `f` into a number. */
export function decodeMiniFloat(bits: number, f: MiniFloat): number {
  const signShift = f.ebits + f.mbits;
  const neg = (bits >> signShift) & 1;
  const exp = (bits >> f.mbits) & ((1 << f.ebits) - 1);
  const mant = bits & ((1 << f.mbits) - 1);
  const top = (1 << f.ebits) - 1;
  if (f.kind === 'fnuz' && bits === 1 << signShift) return NaN;
  if (f.kind === 'fn' && exp === top && mant === (1 << f.mbits) - 1) return NaN;
  if (f.kind === 'ieee' && exp === top) return mant === 0 ? (neg ? -Infinity : Infinity) : NaN;
  const v = exp === 0 ? mant * 2 ** (1 - f.bias - f.mbits) : (1 + mant / 2 ** f.mbits) * 2 ** (exp - f.bias);
  return neg ? -v : v;
}

/** float8e8m0: value 2^(bits-127); 0xFF is NaN. */
export function decodeE8M0(bits: number): number {
  return bits === 0xff ? NaN : 2 ** (bits - 127);
}

/**
 * Encode into float8e8m0. `mode` 'up' rounds the exponent up unless `x` is an exact power of two, 'down' truncates,
 * 'nearest' rounds half up on the mantissa (ONNX Cast round_mode). Saturates to 2^127 / 2^-127 when `saturate`.
 */
export function encodeE8M0(x: number, saturate = true, mode: 'up' | 'down' | 'nearest' = 'up'): number {
  if (Number.isNaN(x) || (!saturate && !Number.isFinite(x))) return 0xff;
  const a = Math.abs(x);
  if (a === Infinity) return 0xfe;
  if (a === 0) return 0;
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  const exact = 2 ** e === a;
  if (!exact) {
    if (mode === 'up') e++;
    else if (mode === 'nearest' && a / 2 ** e >= 1.5) e++;
  }
  const b = e + 127;
  if (b > 254) return saturate ? 0xfe : 0xff;
  if (b < 0) return 0;
  return b;
}

export const f16ToNumber = (bits: number): number => decodeMiniFloat(bits, F16);
export const numberToF16 = (x: number): number => encodeMiniFloat(x, F16);
export const bf16ToNumber = (bits: number): number => decodeMiniFloat(bits, BF16);
export const numberToBf16 = (x: number): number => encodeMiniFloat(x, BF16);
