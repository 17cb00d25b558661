/**
 * Round to the nearest integer, ties to even (IEEE 754 `roundTiesToEven`, numpy `rint`, C `nearbyint`), as ONNX
 * QuantizeLinear specifies. JavaScript's built-in rounding (ties toward +Infinity) is banned in numeric code; use this.
 *
 * - `roundHalfEven(2.5) === 2`, `roundHalfEven(3.5) === 4`, `roundHalfEven(-2.5) === -2`,
 *   `roundHalfEven(0.49999997) === 0`.
 * - NaN and +-Infinity come back unchanged; integers come back unchanged. The sign of a zero result is not
 *   specified (callers add integers to it).
 * - Exact for every double: `x - Math.floor(x)` is exact for |x| < 2^52, and larger doubles are already integers.
 */
export function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}
