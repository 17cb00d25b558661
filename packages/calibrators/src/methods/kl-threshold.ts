/**
 * KL divergence of a clipped-and-requantized histogram window (the TensorRT entropy calibration recipe,
 * "8-bit Inference with TensorRT", Migacz 2017), for the window `[s, e)` of `counts` (length `B`) and `L` levels:
 *
 * 1. Reference `P`: `counts[s..e)`, with everything left of `s` added to its first bin and everything right of
 *    `e` added to its last bin (the clipped outliers).
 * 2. Candidate `Q`: merge the *clipped* counts `counts[s..e)` into `L` groups of `m = floor(len / L)` bins (the last
 *    group also takes the remaining `len - L m` bins), then spread each group's sum evenly over the group's bins whose
 *    count is non-zero (bins with zero count get 0).
 * 3. Normalise both to sum 1 and return `KL(P || Q) = Σ_{P_j > 0} P_j ln(P_j / Q_j)` (natural log). It is `+Infinity`
 *    when some `P_j > 0` has `Q_j = 0` (an outlier bin whose own clipped count is zero) or the window is empty.
 *    No smoothing is applied; an infinite candidate simply never wins.
 *
 * Requires `len = e - s >= L`. Worked example in `entropy.test.ts`.
 */
export function windowKL(counts: Float64Array, s: number, e: number, L: number): number {
  const len = e - s;
  let left = 0;
  for (let j = 0; j < s; j++) left += counts[j];
  let right = 0;
  for (let j = e; j < counts.length; j++) right += counts[j];
  let clipped = 0;
  for (let j = s; j < e; j++) clipped += counts[j];
  const pTotal = clipped + left + right;
  if (clipped === 0 || pTotal === 0) return Infinity;
  const m = Math.floor(len / L);
  let kl = 0;
  for (let g = 0; g < L; g++) {
    const from = s + g * m;
    const to = g === L - 1 ? e : from + m;
    let sum = 0;
    let nz = 0;
    for (let j = from; j < to; j++) {
      sum += counts[j];
      if (counts[j] > 0) nz++;
    }
    for (let j = from; j < to; j++) {
      let p = counts[j];
      if (j === s) p += left;
      if (j === e - 1) p += right;
      if (p === 0) continue;
      const q = counts[j] > 0 ? sum / nz : 0;
      if (q === 0) return Infinity;
      const pn = p / pTotal;
      kl += pn * Math.log(pn / (q / clipped));
    }
  }
  return kl;
}
