import { CalibrationError } from '../core/errors.js';
import { finalizeRange } from '../core/finalize.js';
import { baseSpec, finiteNumber, positiveInt, prepassRange } from '../core/spec.js';
import type { Calibrator, PrepassRange, RangeSpec } from '../core/types.js';
import { edge, histogramCalibrator, type BinLayout, type HistogramSpecBase, type HistogramState } from './histogram.js';
import { windowKL } from './kl-threshold.js';

export type EntropyHistogram = 'abs' | 'signed';

export interface EntropySpec extends RangeSpec {
  /** Per-channel `[min, max]` of a min-max first pass (fixes the bin edges). */
  readonly range: PrepassRange;
  /** Histogram bins; default 2048 (TensorRT). */
  readonly bins?: number;
  /** Quantized levels the candidate distribution is merged into; default 128 (TensorRT). */
  readonly levels?: number;
  /**
   * `abs` (default, TensorRT): a histogram of `|x|` over `[0, amax]`, candidate windows `[0, i)` for
   * `i = levels..bins`, range `[-edge(i), edge(i)]`.
   * `signed` (onnxruntime's `EntropyCalibrater`): a histogram of `x` over `[-amax, amax]`, windows centred on the
   * zero bin `z = floor(bins / 2)`: `[z - i, min(z + i + 1, bins))` for `i = floor(levels / 2)..z`, range
   * `[edge(z - i), edge(end)]`.
   */
  readonly histogram?: EntropyHistogram;
  /** Smoothing `eps` of `windowKL` (MXNet / onnxruntime use 0.0001, the default); 0 disables it. */
  readonly smoothing?: number;
  /**
   * `abs` histograms only: before the search, replace the count of bin 0 by the count of bin 1. ReLU outputs put a
   * large spike of exact zeros in bin 0 that otherwise dominates the divergence and pushes the threshold down.
   * Default false. (For non-negative tensors also consider `levels: 256`: an unsigned 8-bit type has 256 levels.)
   */
  readonly flattenZeroBin?: boolean;
}

export interface EntropyResolvedSpec extends HistogramSpecBase {
  readonly levels: number;
  readonly histogram: EntropyHistogram;
  readonly smoothing: number;
  readonly flattenZeroBin: boolean;
}

export type EntropyState = HistogramState<EntropyResolvedSpec>;

/** Named settings: TensorRT's 2048 bins / 128 levels on `|x|`, onnxruntime's default 128 bins / 128 levels signed. */
export const entropyPresets = {
  tensorrt: { bins: 2048, levels: 128, histogram: 'abs' },
  onnxruntime: { bins: 128, levels: 128, histogram: 'signed' },
} as const satisfies Record<string, Pick<EntropySpec, 'bins' | 'levels' | 'histogram'>>;

const KIND = 'entropy';

/**
 * Entropy (KL-divergence) calibration: among the candidate clipping windows (see `EntropySpec.histogram`), pick
 * the one whose requantized histogram diverges least from the clipped reference (`windowKL`); ties go to the
 * narrowest window; if every candidate is infinite the full histogram range is used. Empty histogram: `[0, 0]`.
 */
export const entropy: Calibrator<EntropyState, EntropySpec> = histogramCalibrator<EntropyResolvedSpec, EntropySpec>({
  kind: KIND,
  resolve(spec) {
    const bins = positiveInt(KIND, 'bins', spec?.bins, 2048);
    const levels = positiveInt(KIND, 'levels', spec?.levels, 128);
    const histogram = spec?.histogram ?? 'abs';
    if (histogram !== 'abs' && histogram !== 'signed') {
      throw new CalibrationError(`${KIND}: histogram must be "abs" or "signed", got ${String(histogram)}`, { kind: KIND, actual: String(histogram) });
    }
    const minBins = levels;
    if (bins < minBins) throw new CalibrationError(`${KIND}: bins (${bins}) must be at least ${minBins} for ${levels} levels`, { kind: KIND, actual: String(bins) });
    return { ...baseSpec(KIND, spec), bins, range: prepassRange(KIND, spec?.range), levels, histogram, smoothing: finiteNumber(KIND, 'smoothing', spec?.smoothing, 0.0001, 0, 1), flattenZeroBin: spec?.flattenZeroBin ?? false };
  },
  layout: (sp, c) => entropyLayout(sp, c),
  channelRange(sp, observed, g) {
    const cands = klCandidates(sp, observed, g);
    if (cands.length === 0) return [Infinity, -Infinity];
    let best = cands[0];
    for (const c of cands) if (c.kl < best.kl) best = c;
    // every candidate infinite: the full histogram range
    if (!(best.kl < Infinity)) return sp.histogram === 'abs' ? [-edge(g, sp.bins, sp.bins), edge(g, sp.bins, sp.bins)] : [edge(g, sp.bins, 0), edge(g, sp.bins, sp.bins)];
    return [best.lo, best.hi];
  },
  finish: (sp, lo, hi) => finalizeRange(sp, lo, hi),
});

/** One candidate clipping window of the entropy search and its divergence. */
export interface KlCandidate {
  readonly lo: number;
  readonly hi: number;
  /** `windowKL` of the window (+Infinity when rejected). */
  readonly kl: number;
}

/**
 * Every candidate window of the entropy search over one channel's histogram `counts` (see `EntropySpec.histogram`),
 * narrowest first, with its KL divergence; `[]` for an empty histogram. The calibrator picks the first candidate of
 * least KL (ties: the narrowest). With `bins === levels` there is exactly one candidate (onnxruntime's 128/128 preset),
 * which is why that preset always returns the full observed range.
 */
export function klCandidates(sp: EntropyResolvedSpec, observed: Float64Array, g: BinLayout): KlCandidate[] {
  const B = sp.bins;
  const L = sp.levels;
  let counts = observed;
  let any = false;
  for (let k = 0; k < B && !any; k++) any = counts[k] > 0;
  if (!any) return [];
  const scratch = new Float64Array(2 * B);
  const out: KlCandidate[] = [];
  if (sp.histogram === 'abs') {
    if (sp.flattenZeroBin && B > 1) {
      counts = counts.slice();
      counts[0] = counts[1];
    }
    for (let i = L; i <= B; i++) {
      const t = edge(g, B, i);
      out.push({ lo: -t, hi: t, kl: windowKL(counts, 0, i, L, sp.smoothing, scratch) });
    }
    return out;
  }
  const z = Math.floor(B / 2);
  for (let i = Math.floor(L / 2); i <= z; i++) {
    const s = z - i;
    const e = Math.min(z + i + 1, B);
    out.push({ lo: edge(g, B, s), hi: edge(g, B, e), kl: windowKL(counts, s, e, L, sp.smoothing, scratch) });
  }
  return out;
}

/**
 * The candidates of channel `c` of an entropy state (`klCandidates` over its histogram), for inspection and tests:
 * `entropy.computeRange(state)` returns the window of the least KL among them (before `symmetric`/`includeZero`).
 */
export function entropyCandidates(state: EntropyState, c = 0): KlCandidate[] {
  const sp = state.spec;
  return klCandidates(sp, state.counts.subarray(c * sp.bins, (c + 1) * sp.bins), entropyLayout(sp, c));
}

function entropyLayout(sp: EntropyResolvedSpec, c: number): BinLayout {
  const a = Math.max(Math.abs(sp.range.min[c]), Math.abs(sp.range.max[c]));
  return sp.histogram === 'abs' ? { lo: 0, hi: a, abs: true } : { lo: -a, hi: a, abs: false };
}
