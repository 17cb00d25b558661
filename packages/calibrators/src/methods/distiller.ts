import { CalibrationError } from '../core/errors.js';
import { finalizeRange } from '../core/finalize.js';
import { baseSpec, finiteNumber, type BaseSpec } from '../core/spec.js';
import type { Calibrator, RangeSpec } from '../core/types.js';
import { channelMoments, momentsCalibrator, type MomentsState } from './moments.js';

export type DistillerMode = 'avg' | 'n-std';

export interface DistillerSpec extends RangeSpec {
  /** `avg` (Distiller `ClipMode.AVG`, default) or `n-std` (Distiller `ClipMode.N_STD`). */
  readonly mode?: DistillerMode;
  /** `n` for `n-std`; default 3. */
  readonly nStd?: number;
}

export interface DistillerResolvedSpec extends BaseSpec {
  readonly mode: DistillerMode;
  readonly nStd: number;
}

export type DistillerState = MomentsState<DistillerResolvedSpec>;

const KIND = 'distiller';

/**
 * Distiller's clipping modes (Intel Neural Network Distiller, post-training range-linear quantization):
 * - `avg`: `[mean_k bmin_k, mean_k bmax_k]`, the averages over batches (one `observe` call each) of the per-batch
 *   minimum and maximum (Distiller averages per-sample extrema; pass one sample per batch to match it);
 * - `n-std`: `[max(min, mean - n std), min(max, mean + n std)]` with `mean`/`std` (population) over all values,
 *   clamped to the observed extrema.
 * Sums are exact (see `moments.ts`), so the result is independent of batch order and sharding.
 *
 * Example (`avg`): batches [0, 2], [-2, 4] -> minima 0, -2 (avg -1), maxima 2, 4 (avg 3) -> [-1, 3].
 * Example (`n-std`, n = 1): values [1, 2, 3, 6] -> mean 3, std √3.5 ≈ 1.8708 -> [1.1292, 4.8708]; zero-widened to [0, 4.8708].
 */
export const distiller: Calibrator<DistillerState, DistillerSpec | undefined> = momentsCalibrator<DistillerResolvedSpec, DistillerSpec | undefined>({
  kind: KIND,
  resolve(spec) {
    const mode = spec?.mode ?? 'avg';
    if (mode !== 'avg' && mode !== 'n-std') throw new CalibrationError(`${KIND}: mode must be "avg" or "n-std", got ${String(mode)}`, { kind: KIND, actual: String(mode) });
    return { ...baseSpec(KIND, spec), mode, nStd: finiteNumber(KIND, 'nStd', spec?.nStd, 3, 0) };
  },
  range(s) {
    const C = Math.max(1, s.channels);
    const lo: number[] = [];
    const hi: number[] = [];
    for (let c = 0; c < C; c++) {
      const m = channelMoments(s, c < s.channels ? c : -1);
      if (m.count === 0) {
        lo.push(Infinity);
        hi.push(-Infinity);
      } else if (s.spec.mode === 'avg') {
        lo.push(m.avgMin);
        hi.push(m.avgMax);
      } else {
        // The rounded mean can sit an ulp outside [min, max] (e.g. all values equal); clamp it first so lo <= hi.
        const mean = Math.min(m.max, Math.max(m.min, m.mean));
        lo.push(Math.max(m.min, mean - s.spec.nStd * m.std));
        hi.push(Math.min(m.max, mean + s.spec.nStd * m.std));
      }
    }
    return finalizeRange(s.spec, lo, hi);
  },
});
