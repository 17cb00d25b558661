import { beginState, openState } from '../core/codec.js';
import { finalizeRange } from '../core/finalize.js';
import { channelLayout, checkChannels, forEachFinite } from '../core/layout.js';
import { baseSpec, decodeSpec, requireSameSpec, type BaseSpec } from '../core/spec.js';
import type { Calibrator, RangeSpec } from '../core/types.js';

export type MinMaxSpec = RangeSpec;

/**
 * Running extrema per channel. `channels === 0` is the identity (nothing observed yet); a channel with no finite
 * value keeps `min = +Infinity`, `max = -Infinity`.
 */
export interface MinMaxState {
  readonly spec: BaseSpec;
  readonly channels: number;
  readonly min: Float64Array;
  readonly max: Float64Array;
}

const KIND = 'min-max';

/**
 * Min-max: the range is `[min x, max x]` over every finite observed value (per channel along `axis`), then widened
 * to contain 0 and made symmetric as the spec asks. NaN and ±Infinity are ignored; a channel with no finite value
 * gets `[0, 0]`. Exact: `min`/`max` are associative and commutative, so any split and any order give the same state.
 *
 * Example: batches `[-1, 3]` and `[2, 5]` -> `[-1, 5]`; symmetric -> `[-5, 5]`; values `[1, 2]` -> `[0, 2]`.
 */
export const minMax: Calibrator<MinMaxState, MinMaxSpec | undefined> = {
  kind: KIND,
  init(spec) {
    return { spec: baseSpec(KIND, spec), channels: 0, min: new Float64Array(0), max: new Float64Array(0) };
  },
  observe(s, batch) {
    const l = channelLayout(batch, s.spec.axis, KIND);
    checkChannels(KIND, s.channels, l.channels);
    const min = s.channels === 0 ? new Float64Array(l.channels).fill(Infinity) : s.min.slice();
    const max = s.channels === 0 ? new Float64Array(l.channels).fill(-Infinity) : s.max.slice();
    forEachFinite(batch.data, l, (c, v) => {
      if (v < min[c]) min[c] = v;
      if (v > max[c]) max[c] = v;
    });
    return { spec: s.spec, channels: l.channels, min, max };
  },
  merge(a, b) {
    requireSameSpec(KIND, a.spec, b.spec);
    if (a.channels === 0) return b;
    if (b.channels === 0) return a;
    checkChannels(KIND, a.channels, b.channels);
    const min = new Float64Array(a.channels);
    const max = new Float64Array(a.channels);
    for (let c = 0; c < a.channels; c++) {
      min[c] = Math.min(a.min[c], b.min[c]);
      max[c] = Math.max(a.max[c], b.max[c]);
    }
    return { spec: a.spec, channels: a.channels, min, max };
  },
  computeRange(s) {
    return finalizeRange(s.spec, s.channels === 0 ? [Infinity] : s.min, s.channels === 0 ? [-Infinity] : s.max);
  },
  encode(s) {
    return beginState(KIND, s.spec).u32(s.channels).f64s(s.min).f64s(s.max).finish();
  },
  decode(bytes) {
    const { r, spec: raw } = openState(KIND, bytes);
    const spec = decodeSpec(KIND, raw, (x) => baseSpec(KIND, x as RangeSpec));
    const channels = r.u32();
    const min = r.f64s();
    const max = r.f64s();
    r.end();
    if (min.length !== channels || max.length !== channels) r.fail(`expected ${channels} channels, got ${min.length}/${max.length}`);
    for (let c = 0; c < channels; c++) if (Number.isNaN(min[c]) || Number.isNaN(max[c])) r.fail(`channel ${c} holds NaN`);
    return { spec, channels, min, max };
  },
};
