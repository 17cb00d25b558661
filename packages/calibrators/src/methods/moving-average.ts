import { beginState, openState } from '../core/codec.js';
import { finalizeRange } from '../core/finalize.js';
import { channelLayout, checkChannels, forEachFinite } from '../core/layout.js';
import { baseSpec, decodeSpec, finiteNumber, requireSameSpec, type BaseSpec } from '../core/spec.js';
import type { Calibrator, RangeSpec } from '../core/types.js';

export interface MovingAverageSpec extends RangeSpec {
  /** The averaging constant `c` in `m <- m + c * (b - m)`; default 0.01 (onnxruntime's `averaging_constant`). */
  readonly constant?: number;
}

export interface MovingAverageResolvedSpec extends BaseSpec {
  readonly constant: number;
}

/**
 * The ordered sequence of per-batch extrema. Row `k` (one `observe` call) holds, for each channel, that batch's
 * minimum and maximum (`+Infinity` / `-Infinity` when the batch had no finite value in the channel).
 */
export interface MovingAverageState {
  readonly spec: MovingAverageResolvedSpec;
  readonly channels: number;
  readonly batches: number;
  readonly batchMin: Float64Array;
  readonly batchMax: Float64Array;
}

const KIND = 'moving-average-min-max';

function resolve(spec: MovingAverageSpec | undefined): MovingAverageResolvedSpec {
  return { ...baseSpec(KIND, spec), constant: finiteNumber(KIND, 'constant', spec?.constant, 0.01, 0, 1) };
}

/**
 * Moving-average min-max: for each batch `k` take its extrema `bmin_k`, `bmax_k`; start `m = bmin_1` and update
 * `m <- m + c * (bmin_k - m)` (same for the max) in float64, skipping batches without finite values. The range is
 * `[m_min, m_max]`, then zero/symmetry as specified. This is the update rule (and default constant 0.01) of
 * onnxruntime's `MinMaxCalibrater(moving_average=True)`, applied here per batch; onnxruntime itself applies it
 * between successive `collect_data` calls and averages the per-batch extrema within one call.
 *
 * The exponential average is order-dependent and not an associative function of partial averages in floating
 * point, so the state keeps the ordered per-batch extrema (two numbers per channel per batch) and folds them only
 * in `computeRange`. `merge(a, b)` concatenates: it means "the batches of `a`, then those of `b`", which is
 * associative with the empty sequence (`init`) as identity, and `observe*(xs ++ ys) == merge(observe*(xs),
 * observe*(ys))` holds exactly. Sharded calibration therefore merges shard states in data order (the session does).
 * Memory is O(batches x channels), never O(activations).
 *
 * Example (c = 0.5): batch minima 0, -4, -2 -> m = 0, then 0 + 0.5 * (-4 - 0) = -2, then -2 + 0.5 * (-2 + 2) = -2;
 * maxima 4, 8, 2 -> 4, 6, 4; range [-2, 4].
 */
export const movingAverageMinMax: Calibrator<MovingAverageState, MovingAverageSpec | undefined> = {
  kind: KIND,
  init(spec) {
    return { spec: resolve(spec), channels: 0, batches: 0, batchMin: new Float64Array(0), batchMax: new Float64Array(0) };
  },
  observe(s, batch) {
    const l = channelLayout(batch, s.spec.axis, KIND);
    checkChannels(KIND, s.channels, l.channels);
    const C = l.channels;
    const off = s.batches * C;
    const batchMin = new Float64Array(off + C);
    const batchMax = new Float64Array(off + C);
    batchMin.set(s.batchMin);
    batchMax.set(s.batchMax);
    batchMin.fill(Infinity, off);
    batchMax.fill(-Infinity, off);
    forEachFinite(batch.data, l, (c, v) => {
      if (v < batchMin[off + c]) batchMin[off + c] = v;
      if (v > batchMax[off + c]) batchMax[off + c] = v;
    });
    return { spec: s.spec, channels: C, batches: s.batches + 1, batchMin, batchMax };
  },
  merge(a, b) {
    requireSameSpec(KIND, a.spec, b.spec);
    if (a.batches === 0) return b;
    if (b.batches === 0) return a;
    checkChannels(KIND, a.channels, b.channels);
    const batchMin = new Float64Array(a.batchMin.length + b.batchMin.length);
    const batchMax = new Float64Array(batchMin.length);
    batchMin.set(a.batchMin);
    batchMin.set(b.batchMin, a.batchMin.length);
    batchMax.set(a.batchMax);
    batchMax.set(b.batchMax, a.batchMax.length);
    return { spec: a.spec, channels: a.channels, batches: a.batches + b.batches, batchMin, batchMax };
  },
  computeRange(s) {
    const C = Math.max(s.channels, 1);
    const lo = new Array<number>(C).fill(Infinity);
    const hi = new Array<number>(C).fill(-Infinity);
    const c0 = s.spec.constant;
    for (let c = 0; c < s.channels; c++) {
      lo[c] = ema(s.batchMin, c, s.channels, s.batches, c0);
      hi[c] = ema(s.batchMax, c, s.channels, s.batches, c0);
    }
    return finalizeRange(s.spec, lo, hi);
  },
  encode(s) {
    return beginState(KIND, s.spec).u32(s.channels).u32(s.batches).f64s(s.batchMin).f64s(s.batchMax).finish();
  },
  decode(bytes) {
    const { r, spec: raw } = openState(KIND, bytes);
    const spec = decodeSpec(KIND, raw, (x) => resolve(x as MovingAverageSpec));
    const channels = r.u32();
    const batches = r.u32();
    const batchMin = r.f64s();
    const batchMax = r.f64s();
    r.end();
    if (batchMin.length !== channels * batches || batchMax.length !== channels * batches) r.fail(`expected ${batches} x ${channels} extrema`);
    if (batches > 0 && channels === 0) r.fail('batches without channels');
    for (let i = 0; i < batchMin.length; i++) if (Number.isNaN(batchMin[i]) || Number.isNaN(batchMax[i])) r.fail(`extremum ${i} is NaN`);
    return { spec, channels, batches, batchMin, batchMax };
  },
};

/** Exponential moving average of the finite entries of column `c`; +-Infinity (no data) entries are skipped; NaN when none is finite. */
function ema(rows: Float64Array, c: number, C: number, batches: number, constant: number): number {
  let m = NaN;
  for (let k = 0; k < batches; k++) {
    const b = rows[k * C + c];
    if (!Number.isFinite(b)) continue;
    m = Number.isNaN(m) ? b : m + constant * (b - m);
  }
  return m;
}
