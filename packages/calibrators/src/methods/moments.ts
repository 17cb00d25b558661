import { beginState, openState, type ByteReader, type ByteWriter } from '../core/codec.js';
import { addExpansions, addTo, canonical, valueOf, type Expansion } from '../core/exact-sum.js';
import { ExponentBuckets } from '../core/exponent-buckets.js';
import { channelLayout, checkChannels } from '../core/layout.js';
import { decodeSpec, requireSameSpec, type BaseSpec } from '../core/spec.js';
import type { Calibrator, Range } from '../core/types.js';

/**
 * Exact moments per channel, the shared core of the `distribution` and `distiller` methods:
 * extrema, the count of finite values, `Σx` and `Σx²` (exact expansions, see `exact-sum.ts`), and over the batches
 * that had a finite value in the channel: their number and the exact sums of the per-batch minima and maxima.
 * Every field merges by `min`, `max` or exact addition, so `merge` is exact, associative and commutative and any
 * split of the batch sequence gives the same state. `channels === 0` is the identity.
 */
export interface MomentsState<Sp extends BaseSpec> {
  readonly spec: Sp;
  readonly channels: number;
  readonly min: Float64Array;
  readonly max: Float64Array;
  readonly count: Float64Array;
  readonly sum: readonly Expansion[];
  readonly sumSq: readonly Expansion[];
  readonly batches: Float64Array;
  readonly batchMinSum: readonly Expansion[];
  readonly batchMaxSum: readonly Expansion[];
}

/** Derived statistics of one channel (NaN-free; a channel without data reports zeros and `count = 0`). */
export interface ChannelMoments {
  readonly min: number;
  readonly max: number;
  readonly count: number;
  /** `Σx / n`, the exact sum rounded once then divided. */
  readonly mean: number;
  /** Population standard deviation `sqrt(max(0, Σx²/n - mean²))`. */
  readonly std: number;
  /** Mean over batches of the per-batch minimum / maximum. */
  readonly avgMin: number;
  readonly avgMax: number;
}

export function channelMoments<Sp extends BaseSpec>(s: MomentsState<Sp>, c: number): ChannelMoments {
  const n = s.count[c];
  if (!(n > 0)) return { min: 0, max: 0, count: 0, mean: 0, std: 0, avgMin: 0, avgMax: 0 };
  const mean = valueOf(s.sum[c]) / n;
  const v = valueOf(s.sumSq[c]) / n - mean * mean;
  const b = s.batches[c];
  return {
    min: s.min[c], max: s.max[c], count: n, mean, std: Math.sqrt(v > 0 ? v : 0),
    avgMin: valueOf(s.batchMinSum[c]) / b, avgMax: valueOf(s.batchMaxSum[c]) / b,
  };
}

export interface MomentsMethod<Sp extends BaseSpec, In> {
  readonly kind: string;
  resolve(spec: In): Sp;
  range(s: MomentsState<Sp>): Range;
}

const empty = <Sp extends BaseSpec>(spec: Sp): MomentsState<Sp> => ({
  spec, channels: 0, min: new Float64Array(0), max: new Float64Array(0), count: new Float64Array(0),
  sum: [], sumSq: [], batches: new Float64Array(0), batchMinSum: [], batchMaxSum: [],
});

export function momentsCalibrator<Sp extends BaseSpec, In>(m: MomentsMethod<Sp, In>): Calibrator<MomentsState<Sp>, In> {
  const kind = m.kind;
  return {
    kind,
    init: (spec) => empty(m.resolve(spec)),
    observe(s, batch) {
      const l = channelLayout(batch, s.spec.axis, kind);
      checkChannels(kind, s.channels, l.channels);
      const C = l.channels;
      const fresh = s.channels === 0;
      const min = fresh ? new Float64Array(C).fill(Infinity) : s.min.slice();
      const max = fresh ? new Float64Array(C).fill(-Infinity) : s.max.slice();
      const count = fresh ? new Float64Array(C) : s.count.slice();
      const batches = fresh ? new Float64Array(C) : s.batches.slice();
      const sum = Array.from({ length: C }, (_, c) => (fresh ? [] : s.sum[c].slice()));
      const sumSq = Array.from({ length: C }, (_, c) => (fresh ? [] : s.sumSq[c].slice()));
      const batchMinSum = Array.from({ length: C }, (_, c) => (fresh ? [] : s.batchMinSum[c].slice()));
      const batchMaxSum = Array.from({ length: C }, (_, c) => (fresh ? [] : s.batchMaxSum[c].slice()));
      const bmin = new Float64Array(C).fill(Infinity);
      const bmax = new Float64Array(C).fill(-Infinity);
      const buckets = Array.from({ length: C }, (_, c) => new ExponentBuckets(sum[c], sumSq[c]));
      const bits = new Uint32Array(batch.data.buffer, batch.data.byteOffset, batch.data.length);
      const { outer, inner } = l;
      const data = batch.data;
      for (let o = 0; o < outer; o++) {
        for (let c = 0; c < C; c++) {
          const base = (o * C + c) * inner;
          const bk = buckets[c];
          for (let i = 0; i < inner; i++) {
            const v = data[base + i];
            if (v - v !== 0) continue; // NaN, ±Infinity
            if (v < bmin[c]) bmin[c] = v + 0;
            if (v > bmax[c]) bmax[c] = v + 0;
            count[c] += 1;
            bk.add(v, bits[base + i]);
          }
        }
      }
      for (const bk of buckets) bk.flush();
      for (let c = 0; c < C; c++) {
        sum[c] = canonical(sum[c]);
        sumSq[c] = canonical(sumSq[c]);
        if (bmin[c] > bmax[c]) continue;
        min[c] = Math.min(min[c], bmin[c]);
        max[c] = Math.max(max[c], bmax[c]);
        batches[c] += 1;
        addTo(batchMinSum[c], bmin[c]);
        addTo(batchMaxSum[c], bmax[c]);
        batchMinSum[c] = canonical(batchMinSum[c]);
        batchMaxSum[c] = canonical(batchMaxSum[c]);
      }
      return { spec: s.spec, channels: C, min, max, count, sum, sumSq, batches, batchMinSum, batchMaxSum };
    },
    merge(a, b) {
      requireSameSpec(kind, a.spec, b.spec);
      if (a.channels === 0) return b;
      if (b.channels === 0) return a;
      checkChannels(kind, a.channels, b.channels);
      const C = a.channels;
      const pick = (f: (c: number) => number) => Float64Array.from({ length: C }, (_, c) => f(c));
      const add = (x: readonly Expansion[], y: readonly Expansion[]) => x.map((e, c) => addExpansions(e, y[c]));
      return {
        spec: a.spec, channels: C,
        min: pick((c) => Math.min(a.min[c], b.min[c])),
        max: pick((c) => Math.max(a.max[c], b.max[c])),
        count: pick((c) => a.count[c] + b.count[c]),
        sum: add(a.sum, b.sum), sumSq: add(a.sumSq, b.sumSq),
        batches: pick((c) => a.batches[c] + b.batches[c]),
        batchMinSum: add(a.batchMinSum, b.batchMinSum), batchMaxSum: add(a.batchMaxSum, b.batchMaxSum),
      };
    },
    computeRange: (s) => m.range(s),
    encode(s) {
      const w = beginState(kind, s.spec).u32(s.channels).f64s(s.min).f64s(s.max).f64s(s.count).f64s(s.batches);
      for (const list of [s.sum, s.sumSq, s.batchMinSum, s.batchMaxSum]) writeExpansions(w, list);
      return w.finish();
    },
    decode(bytes) {
      const { r, spec: raw } = openState(kind, bytes);
      const spec = decodeSpec(kind, raw, (x) => m.resolve(x as In));
      const channels = r.u32();
      const min = r.f64s();
      const max = r.f64s();
      const count = r.f64s();
      const batches = r.f64s();
      for (const a of [min, max, count, batches]) if (a.length !== channels) r.fail(`expected ${channels} channels, got ${a.length}`);
      for (let c = 0; c < channels; c++) {
        if (Number.isNaN(min[c]) || Number.isNaN(max[c])) r.fail(`channel ${c} extrema hold NaN`);
        if (!(Number.isInteger(count[c]) && count[c] >= 0 && Number.isInteger(batches[c]) && batches[c] >= 0)) r.fail(`channel ${c} counts are not non-negative integers`);
      }
      const sum = readExpansions(r, channels);
      const sumSq = readExpansions(r, channels);
      const batchMinSum = readExpansions(r, channels);
      const batchMaxSum = readExpansions(r, channels);
      r.end();
      return { spec, channels, min, max, count, sum, sumSq, batches, batchMinSum, batchMaxSum };
    },
  };
}

function writeExpansions(w: ByteWriter, list: readonly Expansion[]): void {
  for (const e of list) w.f64s(e);
}

function readExpansions(r: ByteReader, channels: number): Expansion[] {
  const out: Expansion[] = [];
  for (let c = 0; c < channels; c++) {
    const e = Array.from(r.f64s());
    if (e.some((x) => !Number.isFinite(x))) r.fail(`channel ${c} sum is not finite`);
    const canon = canonical(e);
    if (canon.length !== e.length || canon.some((x, i) => x !== e[i])) r.fail(`channel ${c} sum is not in canonical form`);
    out.push(e);
  }
  return out;
}
