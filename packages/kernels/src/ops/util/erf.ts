/**
 * The error function erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt, to double precision for the float32 range.
 * Uses the all-positive series erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n x^(2n+1) 2^n / (1*3*...*(2n+1)),
 * which has no cancellation; |x| >= 6 returns +-1 (erfc(6) ~ 2e-17). erf(-x) = -erf(x); erf(NaN) = NaN.
 * Example: erf(0.5) = 0.5204998778130465.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a >= 6) return x < 0 ? -1 : 1;
  const x2 = a * a;
  let term = a;
  let sum = a;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  const r = (2 / Math.sqrt(Math.PI)) * Math.exp(-x2) * sum;
  return x < 0 ? -r : r;
}
