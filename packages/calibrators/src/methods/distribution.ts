import { finalizeRange } from '../core/finalize.js';
import { baseSpec, type BaseSpec } from '../core/spec.js';
import type { Calibrator, RangeSpec } from '../core/types.js';
import { channelMoments, momentsCalibrator, type MomentsState } from './moments.js';

export type DistributionSpec = RangeSpec;
export type DistributionState = MomentsState<BaseSpec>;

const KIND = 'distribution';

/**
 * Distribution (onnxruntime's `DistributionCalibrater`, used for float8): per channel, the mean and population
 * standard deviation of every finite observed value, computed from exact sums (so sharding changes nothing).
 * `computeRange` returns them as `mean` and `std` (a float8 scale is derived from `std`), with `min`/`max` the
 * observed extrema, widened to 0 / symmetrised as specified. A channel without data: mean 0, std 0, range [0, 0].
 *
 * Example: values [1, 2, 3, 6]: Σx = 12, Σx² = 50, n = 4, mean = 3, var = 50/4 - 9 = 3.5, std = √3.5 ≈ 1.8708.
 */
export const distribution: Calibrator<DistributionState, DistributionSpec | undefined> = momentsCalibrator<BaseSpec, DistributionSpec | undefined>({
  kind: KIND,
  resolve: (spec) => baseSpec(KIND, spec),
  range(s) {
    const C = Math.max(1, s.channels);
    const ms = Array.from({ length: C }, (_, c) => (c < s.channels ? channelMoments(s, c) : channelMoments(s, -1)));
    return finalizeRange(s.spec, ms.map((m) => (m.count > 0 ? m.min : Infinity)), ms.map((m) => (m.count > 0 ? m.max : -Infinity)), {
      mean: ms.map((m) => m.mean),
      std: ms.map((m) => m.std),
    });
  },
});
