/**
 * float8e8m0 (OCP MX scale format): 8 exponent bits, no sign, no mantissa; bits `b` mean 2^(b - 127), `0xFF` is
 * NaN. There is no zero: 0 and values below 2^-127 encode as 0x00 (2^-127).
 */

/** float8e8m0 bits -> value: `2^(bits - 127)`, `0xFF` -> NaN. Example: `0x7F` -> 1, `0x81` -> 4. */
export function float8e8m0ToFloat32(bits: number): number {
  const b = bits & 0xff;
  return b === 0xff ? NaN : 2 ** (b - 127);
}

/**
 * Value -> float8e8m0 bits (ONNX Cast-24 `round_mode`, the sign is dropped): `up` rounds the exponent up unless `|x|`
 * is an exact power of two, `down` truncates it, `nearest` rounds up when the mantissa is >= 1.5 (half up). With
 * `saturate` (default) +-Inf and values past 2^127 give 0xFE (2^127), else 0xFF (NaN); NaN gives 0xFF.
 * Example: 3 -> 0x81 (4) `up`, 0x80 (2) `down`, 0x81 `nearest`; 0.75 -> 0x7F (1) `up`.
 */
export function float32ToFloat8e8m0(x: number, saturate = true, roundMode: 'up' | 'down' | 'nearest' = 'up'): number {
  if (Number.isNaN(x) || (!saturate && !Number.isFinite(x))) return 0xff;
  const a = Math.abs(x);
  if (a === Infinity) return 0xfe;
  if (a === 0) return 0;
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  if (2 ** e !== a) {
    if (roundMode === 'up') e++;
    else if (roundMode === 'nearest' && a / 2 ** e >= 1.5) e++;
  }
  const b = e + 127;
  if (b > 254) return saturate ? 0xfe : 0xff;
  return b < 0 ? 0 : b;
}
