import {
  CalibrationError,
  addExpansions,
  baseSpec,
  beginState,
  canonicalExpansion,
  channelLayout,
  checkChannels,
  decodeSpec,
  expansionAdd,
  expansionValue,
  finalizeRange,
  forEachFinite,
  openState,
  positiveInt,
  requireSameSpec,
  type BaseSpec,
  type Calibrator,
  type Expansion,
  type RangeSpec,
} from '@lowbit/calibrators';

/** ACIQ's optimal clipping for a Laplace(0, b) distribution: threshold = ALPHA[bits] * b (Banner et al., 2019). */
const ALPHA: Readonly<Record<number, number>> = { 2: 2.83, 3: 3.89, 4: 5.03, 5: 6.2, 6: 7.41, 7: 8.64, 8: 9.89 };

export interface LaplaceSpec extends RangeSpec {
  /** Target bit width, 2..8 (default 8). */
  readonly bits?: number;
}

interface LaplaceResolved extends BaseSpec {
  readonly bits: number;
}

/** Per channel: how many values, the exact Σ|x|, and max |x|. All three merge exactly (+, +, max). */
export interface LaplaceState {
  readonly spec: LaplaceResolved;
  readonly channels: number;
  readonly count: Float64Array;
  readonly absSum: readonly Expansion[];
  readonly absMax: Float64Array;
}

const KIND = 'laplace-clip';

function resolve(spec: LaplaceSpec | undefined): LaplaceResolved {
  const bits = positiveInt(KIND, 'bits', spec?.bits, 8);
  if (ALPHA[bits] === undefined) throw new CalibrationError(`${KIND}: bits must be 2..8, got ${bits}`, { kind: KIND });
  // The threshold is symmetric by construction, so the resolved spec says so.
  return { ...baseSpec(KIND, spec), symmetric: true, bits };
}

/**
 * Laplace clipping: estimate b = mean |x| per channel, clip at min(ALPHA[bits] * b, max |x|).
 * Example: values [-1, 1, 2, -4], 4 bits: b = 8 / 4 = 2, 5.03 * 2 = 10.06 > 4 -> [-4, 4].
 */
export const laplaceClip: Calibrator<LaplaceState, LaplaceSpec | undefined> = {
  kind: KIND,
  init(spec) {
    return { spec: resolve(spec), channels: 0, count: new Float64Array(0), absSum: [], absMax: new Float64Array(0) };
  },
  observe(s, batch) {
    const l = channelLayout(batch, s.spec.axis, KIND); // validates dims/data, splits channels
    checkChannels(KIND, s.channels, l.channels);
    const fresh = s.channels === 0;
    const count = fresh ? new Float64Array(l.channels) : s.count.slice();
    const absMax = fresh ? new Float64Array(l.channels) : s.absMax.slice();
    const absSum = Array.from({ length: l.channels }, (_, c) => (fresh ? [] : s.absSum[c].slice()));
    forEachFinite(batch.data, l, (c, v) => {
      const a = Math.abs(v);
      count[c] += 1;
      expansionAdd(absSum[c], a); // exact: the sum cannot depend on batch order or sharding
      if (a > absMax[c]) absMax[c] = a;
    });
    return { spec: s.spec, channels: l.channels, count, absMax, absSum: absSum.map(canonicalExpansion) };
  },
  merge(a, b) {
    requireSameSpec(KIND, a.spec, b.spec);
    if (a.channels === 0) return b; // init() is the identity
    if (b.channels === 0) return a;
    checkChannels(KIND, a.channels, b.channels);
    return {
      spec: a.spec,
      channels: a.channels,
      count: a.count.map((n, c) => n + b.count[c]),
      absSum: a.absSum.map((e, c) => addExpansions(e, b.absSum[c])),
      absMax: a.absMax.map((m, c) => Math.max(m, b.absMax[c])),
    };
  },
  computeRange(s) {
    const t = Array.from({ length: Math.max(1, s.channels) }, (_, c) => {
      if (!(s.count[c] > 0)) return 0;
      const b = expansionValue(s.absSum[c]) / s.count[c];
      return Math.min(ALPHA[s.spec.bits] * b, s.absMax[c]);
    });
    return finalizeRange(s.spec, t.map((x) => -x), t); // NaN-free, contains 0, symmetric
  },
  encode(s) {
    const w = beginState(KIND, s.spec).u32(s.channels).f64s(s.count).f64s(s.absMax);
    for (const e of s.absSum) w.f64s(e);
    return w.finish();
  },
  decode(bytes) {
    const { r, spec: raw } = openState(KIND, bytes); // checks magic, version, kind; CalibrationError otherwise
    const spec = decodeSpec(KIND, raw, (x) => resolve(x as LaplaceSpec));
    const channels = r.u32();
    const count = r.f64s();
    const absMax = r.f64s();
    const absSum = Array.from({ length: channels }, () => Array.from(r.f64s()));
    r.end();
    if (count.length !== channels || absMax.length !== channels) r.fail(`expected ${channels} channels`);
    return { spec, channels, count, absMax, absSum };
  },
};
