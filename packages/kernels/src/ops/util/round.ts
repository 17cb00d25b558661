/**
 * Round half to even (banker's rounding), the rounding ONNX Round and QuantizeLinear use.
 * `roundHalfEven(2.5) === 2`, `roundHalfEven(3.5) === 4`, `roundHalfEven(-2.5) === -2`. NaN and infinities pass
 * through; -0 stays -0 (so does -0.4 -> -0, as numpy does).
 */
export function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const f = Math.floor(x);
  const d = x - f;
  let r: number;
  if (d > 0.5) r = f + 1;
  else if (d < 0.5) r = f;
  else r = f % 2 === 0 ? f : f + 1;
  return r === 0 && (x < 0 || Object.is(x, -0)) ? -0 : r;
}
