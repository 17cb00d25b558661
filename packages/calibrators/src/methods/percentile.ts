import { finalizeRange } from '../core/finalize.js';
import { baseSpec, finiteNumber, positiveInt, prepassRange } from '../core/spec.js';
import type { Calibrator, PrepassRange, RangeSpec } from '../core/types.js';
import { countSum, edge, histogramCalibrator, type HistogramSpecBase, type HistogramState } from './histogram.js';

export interface PercentileSpec extends RangeSpec {
  /** Per-channel `[min, max]` of a min-max first pass (fixes the bin edges). */
  readonly range: PrepassRange;
  /** Default 2048. */
  readonly bins?: number;
  /** Percentage of values the range keeps, in (0, 100]; default 99.999. */
  readonly percentile?: number;
}

export interface PercentileResolvedSpec extends HistogramSpecBase {
  readonly percentile: number;
}

export type PercentileState = HistogramState<PercentileResolvedSpec>;

const KIND = 'percentile';

/**
 * Percentile: the smallest histogram-edge range that keeps at least `p`% of the values (onnxruntime's
 * `PercentileCalibrater`, which also uses a `|x|` histogram when symmetric).
 *
 * Let `q = p / 100`, `N` the channel's count and `cum_k` the count of bins `0..k`.
 * - symmetric (`abs` histogram over `[0, amax]`): `k` = the first bin with `cum_k >= q N`; range `[-t, t]`,
 *   `t = edge(k + 1)` (the right edge, so every value counted up to `k` is inside; onnxruntime takes `edge(k)`);
 * - otherwise (`signed` histogram over `[min, max]`), cutting `(1 - q) / 2` on each side: `kl` = first bin with
 *   `cum >= (1 - q) / 2 * N` and `kr` = first bin with `cum >= (1 - (1 - q) / 2) * N`; range `[edge(kl), edge(kr + 1)]`.
 * Empty histogram: `[0, 0]`. Then the range is widened to 0 as specified.
 *
 * Example: 4 bins over [0, 4], symmetric, values |x| in bins with counts [5, 3, 1, 1] (N = 10), p = 80:
 * q N = 8, cum = [5, 8, 9, 10], first cum >= 8 is k = 1, t = edge(2) = 2 -> [-2, 2].
 */
export const percentile: Calibrator<PercentileState, PercentileSpec> = histogramCalibrator<PercentileResolvedSpec, PercentileSpec>({
  kind: KIND,
  resolve(spec) {
    return {
      ...baseSpec(KIND, spec),
      bins: positiveInt(KIND, 'bins', spec?.bins, 2048),
      range: prepassRange(KIND, spec?.range),
      percentile: finiteNumber(KIND, 'percentile', spec?.percentile, 99.999, Number.MIN_VALUE, 100),
    };
  },
  layout(sp, c) {
    const lo = sp.range.min[c];
    const hi = sp.range.max[c];
    return sp.symmetric ? { lo: 0, hi: Math.max(Math.abs(lo), Math.abs(hi)), abs: true } : { lo, hi, abs: false };
  },
  channelRange(sp, counts, g) {
    const B = sp.bins;
    const n = countSum(counts);
    if (n === 0) return [Infinity, -Infinity];
    const q = sp.percentile / 100;
    const firstReaching = (target: number): number => {
      let cum = 0;
      for (let k = 0; k < B; k++) {
        cum += counts[k];
        if (cum >= target) return k;
      }
      return B - 1;
    };
    if (g.abs) {
      const t = edge(g, B, firstReaching(q * n) + 1);
      return [-t, t];
    }
    const cut = (1 - q) / 2;
    return [edge(g, B, firstReaching(cut * n)), edge(g, B, firstReaching((1 - cut) * n) + 1)];
  },
  finish: (sp, lo, hi) => finalizeRange(sp, lo, hi),
});
