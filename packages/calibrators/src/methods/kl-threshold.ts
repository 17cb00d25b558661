/**
 * KL divergence of a clipped-and-requantized histogram window (the TensorRT entropy calibration recipe,
 * "8-bit Inference with TensorRT", Migacz 2017, with the smoothing that MXNet and onnxruntime add), for the window
 * `[s, e)` of `counts` (length `B`) and `L` levels:
 *
 * 1. Reference `P`: `counts[s..e)`, with everything left of `s` added to its first bin and everything right of
 *    `e` added to its last bin (the clipped outliers).
 * 2. Candidate `Q`: merge the *clipped* counts `counts[s..e)` into `L` groups of `m = floor(len / L)` bins (the last
 *    group also takes the remaining `len - L m` bins), then spread each group's sum evenly over the group's bins whose
 *    clipped count is non-zero (bins with zero count get 0).
 * 3. Smoothing with `eps` (applied to `P` and to `Q` separately, on counts): every zero entry becomes `eps`, every
 *    non-zero entry loses `eps * zeros / nonzeros` (the total is unchanged). If an array has no non-zero entry or
 *    smoothing would make an entry `<= 0`, the candidate is rejected (`+Infinity`). `eps = 0` disables smoothing.
 * 4. Normalise both to sum 1 and return `KL(P || Q) = Σ_{P_j > 0} P_j ln(P_j / Q_j)` (natural log); `+Infinity` when
 *    some `P_j > 0` has `Q_j = 0`.
 *
 * Requires `len = e - s >= L >= 1`. Worked examples in `entropy.test.ts`.
 */
export function windowKL(counts: Float64Array, s: number, e: number, L: number, eps: number, scratch?: Float64Array): number {
  const len = e - s;
  let left = 0;
  for (let j = 0; j < s; j++) left += counts[j];
  let right = 0;
  for (let j = e; j < counts.length; j++) right += counts[j];
  // `scratch` (length >= 2 * len, e.g. 2 * bins) avoids two allocations per candidate; contents are overwritten.
  const p = scratch ? scratch.subarray(0, len) : new Float64Array(len);
  const q = scratch ? scratch.subarray(len, 2 * len) : new Float64Array(len);
  p.set(counts.subarray(s, e));
  p[0] += left;
  p[len - 1] += right;
  const m = Math.floor(len / L);
  for (let g = 0; g < L; g++) {
    const from = g * m;
    const to = g === L - 1 ? len : from + m;
    let sum = 0;
    let nz = 0;
    for (let j = from; j < to; j++) {
      sum += counts[s + j];
      if (counts[s + j] > 0) nz++;
    }
    for (let j = from; j < to; j++) q[j] = counts[s + j] > 0 ? sum / nz : 0;
  }
  if (!smooth(p, eps) || !smooth(q, eps)) return Infinity;
  let pt = 0;
  let qt = 0;
  for (let j = 0; j < len; j++) {
    pt += p[j];
    qt += q[j];
  }
  let kl = 0;
  for (let j = 0; j < len; j++) {
    if (p[j] === 0) continue;
    if (q[j] === 0) return Infinity;
    const pn = p[j] / pt;
    kl += pn * Math.log(pn / (q[j] / qt));
  }
  return kl;
}

/** In-place smoothing of a count array (step 3 above); false when it is impossible. */
function smooth(a: Float64Array, eps: number): boolean {
  let zeros = 0;
  for (let j = 0; j < a.length; j++) if (a[j] === 0) zeros++;
  const nonzeros = a.length - zeros;
  if (nonzeros === 0) return false;
  if (eps === 0 || zeros === 0) return true;
  const eps1 = (eps * zeros) / nonzeros;
  for (let j = 0; j < a.length; j++) {
    a[j] = a[j] === 0 ? eps : a[j] - eps1;
    if (!(a[j] > 0)) return false;
  }
  return true;
}
