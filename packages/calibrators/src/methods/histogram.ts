import { beginState, openState } from '../core/codec.js';
import { CalibrationError } from '../core/errors.js';
import { channelLayout, forEachFinite } from '../core/layout.js';
import { decodeSpec, requireSameSpec, type BaseSpec } from '../core/spec.js';
import type { Calibrator, Range, TensorLike } from '../core/types.js';

/**
 * Fixed-edge histograms, the shared core of the percentile, entropy and MSE methods.
 *
 * Two-pass protocol: the bin edges must not move while statistics accumulate, otherwise two histograms could not be
 * added bin by bin. So a min-max pass over the calibration data runs first; its per-channel `[min, max]` goes into
 * the spec as `range`, and `init(spec)` fixes, per channel, `bins` equal-width bins over `[lo, hi]`:
 * - `abs` layout: values enter as `|x|`, `lo = 0`, `hi = max(|min|, |max|)`;
 * - `signed` layout: `lo = min`, `hi = max` (or `[-a, a]` where a method asks for a zero-centred histogram).
 * Edge `k` is `lo (bins - k) / bins + hi k / bins` (edge 0 is exactly `lo`, edge `bins` exactly `hi`, no overflow);
 * a value `v` goes to bin `floor((v - lo) / (hi - lo) * bins)` clamped to `[0, bins - 1]` (so values outside the
 * first pass's range land in the end bins; with `hi === lo` everything lands in bin 0). NaN and ±Infinity are skipped.
 * Counts are integers held in float64, exact up to 2^53 values per bin, so `merge` (bin-wise addition) is exact,
 * associative and commutative, and `init` (all zeros) is its identity.
 */
export interface HistogramSpecBase extends BaseSpec {
  readonly bins: number;
  readonly range: { readonly min: readonly number[]; readonly max: readonly number[] };
}

export interface HistogramState<Sp extends HistogramSpecBase> {
  readonly spec: Sp;
  /** `channels x bins` counts, channel-major. */
  readonly counts: Float64Array;
}

/** Bin geometry of one channel. */
export interface BinLayout {
  readonly lo: number;
  readonly hi: number;
  readonly abs: boolean;
}

export function edge(g: BinLayout, bins: number, k: number): number {
  return g.lo * ((bins - k) / bins) + g.hi * (k / bins);
}

/**
 * The bin of `x` (already `|x|` for the abs layout): `floor((x - lo) / (hi - lo) * bins)` clamped to
 * `[0, bins - 1]`, computed on halves so that `hi - lo` cannot overflow for float32-range inputs.
 */
export function binOf(g: BinLayout, bins: number, x: number): number {
  if (!(g.hi > g.lo)) return 0;
  const k = Math.floor(((x / 2 - g.lo / 2) / (g.hi / 2 - g.lo / 2)) * bins);
  return k >= bins ? bins - 1 : k >= 0 ? k : 0;
}

export interface HistogramMethod<Sp extends HistogramSpecBase, In> {
  readonly kind: string;
  resolve(spec: In): Sp;
  layout(spec: Sp, c: number): BinLayout;
  /** Raw `[lo, hi]` of channel `c` from its counts (not yet zero-widened or symmetrised). */
  channelRange(spec: Sp, counts: Float64Array, g: BinLayout): readonly [number, number];
  finish(spec: Sp, lo: number[], hi: number[]): Range;
}

export function histogramCalibrator<Sp extends HistogramSpecBase, In>(m: HistogramMethod<Sp, In>): Calibrator<HistogramState<Sp>, In> {
  const kind = m.kind;
  return {
    kind,
    init(spec) {
      const sp = m.resolve(spec);
      return { spec: sp, counts: new Float64Array(sp.range.min.length * sp.bins) };
    },
    observe(s, batch: TensorLike) {
      const sp = s.spec;
      const C = sp.range.min.length;
      const l = channelLayout(batch, sp.axis, kind);
      if (l.channels !== C) {
        throw new CalibrationError(`${kind}: batch has ${l.channels} channels, the spec's first-pass range has ${C}`, {
          kind, expected: String(C), actual: String(l.channels),
        });
      }
      const counts = s.counts.slice();
      const B = sp.bins;
      const lay: BinLayout[] = [];
      for (let c = 0; c < C; c++) lay.push(m.layout(sp, c));
      forEachFinite(batch.data, l, (c, v) => {
        const g = lay[c];
        counts[c * B + binOf(g, B, g.abs ? Math.abs(v) : v)] += 1;
      });
      return { spec: sp, counts };
    },
    merge(a, b) {
      requireSameSpec(kind, a.spec, b.spec);
      const counts = new Float64Array(a.counts.length);
      for (let i = 0; i < counts.length; i++) counts[i] = a.counts[i] + b.counts[i];
      return { spec: a.spec, counts };
    },
    computeRange(s) {
      const sp = s.spec;
      const C = sp.range.min.length;
      const lo: number[] = [];
      const hi: number[] = [];
      for (let c = 0; c < C; c++) {
        const [a, b] = m.channelRange(sp, s.counts.subarray(c * sp.bins, (c + 1) * sp.bins), m.layout(sp, c));
        lo.push(a);
        hi.push(b);
      }
      return m.finish(sp, lo, hi);
    },
    encode(s) {
      return beginState(kind, s.spec).f64s(s.counts).finish();
    },
    decode(bytes) {
      const { r, spec: raw } = openState(kind, bytes);
      const spec = decodeSpec(kind, raw, (x) => m.resolve(x as In));
      const counts = r.f64s();
      r.end();
      if (counts.length !== spec.range.min.length * spec.bins) r.fail(`expected ${spec.range.min.length * spec.bins} counts, got ${counts.length}`);
      for (let i = 0; i < counts.length; i++) {
        const n = counts[i];
        if (!(Number.isInteger(n) && n >= 0)) r.fail(`count ${i} is ${n}, expected a non-negative integer`);
      }
      return { spec, counts };
    },
  };
}

/** Sum of `counts[from..to)`. */
export function countSum(counts: Float64Array, from = 0, to = counts.length): number {
  let n = 0;
  for (let i = from; i < to; i++) n += counts[i];
  return n;
}
