import { dequantize, isFloatQuantDType, isQuantDType, qparamsFromRange, quantize, type QuantDType } from '@lowbit/qparams';
import { CalibrationError } from '../core/errors.js';
import { finalizeRange } from '../core/finalize.js';
import { baseSpec, positiveInt, prepassRange } from '../core/spec.js';
import type { Calibrator, PrepassRange, RangeSpec } from '../core/types.js';
import { countSum, edge, histogramCalibrator, type BinLayout, type HistogramSpecBase, type HistogramState } from './histogram.js';

export interface MseSpec extends RangeSpec {
  /** Per-channel `[min, max]` of a min-max first pass (fixes the bin edges). */
  readonly range: PrepassRange;
  /** Histogram bins; default 2048. */
  readonly bins?: number;
  /** Target dtype whose quantization error is minimised (any `@lowbit/qparams` dtype); default int8. */
  readonly dtype?: QuantDType;
  /** Use qparams' `symmetric-restricted` scheme instead of `symmetric` (symmetric specs only). Default false. */
  readonly restricted?: boolean;
  /** qparams `reduceRange` (7-bit) for integer dtypes. Default false. */
  readonly reduceRange?: boolean;
  /** Number of candidate thresholds; default 256. */
  readonly steps?: number;
}

export interface MseResolvedSpec extends HistogramSpecBase {
  readonly dtype: QuantDType;
  readonly restricted: boolean;
  readonly reduceRange: boolean;
  readonly steps: number;
}

export type MseState = HistogramState<MseResolvedSpec>;

const KIND = 'mse';

/**
 * MSE: the clipping range that minimises the quantization error of the observed values for the target dtype,
 * estimated on the histogram (each bin's values stand at its centre `x_b = (edge(b) + edge(b + 1)) / 2`):
 *
 *   err(range) = Σ_b count_b (x_b - dequantize(quantize(x_b)))²
 *
 * with scale and zero point from `qparamsFromRange(range, { dtype, scheme, reduceRange })` and the reference
 * `quantize` / `dequantize` of `@lowbit/qparams` (float32, round half to even, saturation), so the search sees
 * exactly the rounding and clipping the quantized model will apply.
 * - symmetric (`|x|` histogram over `[0, amax]`): candidates `[-t_k, t_k]`, `t_k = edge(floor(k bins / steps))`,
 *   `k = 1..steps`, scheme `symmetric` (or `symmetric-restricted`);
 * - asymmetric (histogram over `[min, max]`): candidates `[a k / steps, b k / steps]` with `a = min(min, 0)`,
 *   `b = max(max, 0)`, scheme `asymmetric`.
 * The smallest error wins; ties go to the narrower candidate. An empty histogram gives `[0, 0]`.
 * Float8/float4 dtypes have only the symmetric scheme (an asymmetric spec is a `CalibrationError`).
 *
 * Worked example in `mse.test.ts` (int4, 4 bins), checked against a numpy float32 evaluation.
 */
export const mse: Calibrator<MseState, MseSpec> = histogramCalibrator<MseResolvedSpec, MseSpec>({
  kind: KIND,
  resolve(spec) {
    const base = baseSpec(KIND, spec);
    const dtype = spec?.dtype ?? 'int8';
    if (!isQuantDType(dtype)) throw new CalibrationError(`${KIND}: dtype ${String(dtype)} is not a quantized dtype`, { kind: KIND, actual: String(dtype) });
    if (isFloatQuantDType(dtype) && !base.symmetric) {
      throw new CalibrationError(`${KIND}: ${dtype} has only a symmetric scheme; set symmetric: true`, { kind: KIND, expected: 'symmetric: true', actual: 'symmetric: false' });
    }
    return {
      ...base,
      bins: positiveInt(KIND, 'bins', spec?.bins, 2048),
      range: prepassRange(KIND, spec?.range),
      dtype,
      restricted: spec?.restricted ?? false,
      reduceRange: spec?.reduceRange ?? false,
      steps: positiveInt(KIND, 'steps', spec?.steps, 256),
    };
  },
  layout(sp, c) {
    const lo = sp.range.min[c];
    const hi = sp.range.max[c];
    return sp.symmetric ? { lo: 0, hi: Math.max(Math.abs(lo), Math.abs(hi)), abs: true } : { lo, hi, abs: false };
  },
  channelRange(sp, counts, g) {
    const B = sp.bins;
    if (countSum(counts) === 0) return [Infinity, -Infinity];
    const centers = new Float32Array(B);
    for (let b = 0; b < B; b++) centers[b] = (edge(g, B, b) + edge(g, B, b + 1)) / 2;
    let best = Infinity;
    let bestRange: readonly [number, number] = [g.abs ? -g.hi : Math.min(g.lo, 0), g.abs ? g.hi : Math.max(g.hi, 0)];
    for (let k = 1; k <= sp.steps; k++) {
      const cand = candidate(sp, g, k);
      if (cand[0] === cand[1]) continue;
      const err = quantError(sp, centers, counts, cand);
      if (err < best) {
        best = err;
        bestRange = cand;
      }
    }
    return bestRange;
  },
  finish: (sp, lo, hi) => finalizeRange(sp, lo, hi),
});

function candidate(sp: MseResolvedSpec, g: BinLayout, k: number): readonly [number, number] {
  if (g.abs) {
    const t = edge(g, sp.bins, Math.floor((k * sp.bins) / sp.steps));
    return [-t, t];
  }
  return [(Math.min(g.lo, 0) * k) / sp.steps, (Math.max(g.hi, 0) * k) / sp.steps];
}

/** Σ count_b (x_b - dq(q(x_b)))² for one candidate range, through the qparams reference functions. */
export function quantError(sp: MseResolvedSpec, centers: Float32Array, counts: ArrayLike<number>, range: readonly [number, number]): number {
  const scheme = sp.symmetric ? (sp.restricted ? 'symmetric-restricted' : 'symmetric') : 'asymmetric';
  const qp = qparamsFromRange({ min: Math.fround(range[0]), max: Math.fround(range[1]) }, { dtype: sp.dtype, scheme, reduceRange: sp.reduceRange });
  const params = { dtype: qp.dtype, scale: [qp.scale], zeroPoint: [qp.zeroPoint], qmin: qp.qmin, qmax: qp.qmax };
  const dims = [centers.length];
  const back = dequantize(quantize(centers, dims, params), dims, params) as Float32Array;
  let err = 0;
  for (let b = 0; b < centers.length; b++) {
    if (counts[b] === 0) continue;
    const d = centers[b] - back[b];
    err += counts[b] * d * d;
  }
  return err;
}
