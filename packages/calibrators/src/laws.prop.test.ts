import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { builtinCalibrators } from './builtins.js';
import { peekKind } from './core/codec.js';
import { CalibrationError } from './core/errors.js';
import type { Calibrator, TensorLike } from './core/types.js';
import { batchesArb, prepassArb } from './test-support/arbitraries.js';

/**
 * The monoid laws of DESIGN.md ("Calibrators") for every built-in method, over random specs (per-tensor and
 * per-channel, symmetric or not, with and without zero), random batch sequences (empty batches, NaN, ±Infinity,
 * ±0, float32 extremes). States are compared through their encodings (bit-exact, so -0/0 or a lost count would show).
 */

type Any = Calibrator<unknown, unknown>;

interface Case {
  readonly kind: string;
  /** A spec for `channels` channels (the batches are `[n, channels, k]`, per-channel axis 1). */
  spec(channels: number): fc.Arbitrary<unknown>;
}

const common = fc.record({ axis: fc.constantFrom(null, 1, -2), symmetric: fc.boolean(), includeZero: fc.boolean() });
const perChannel = (channels: number, axis: number | null) => (axis === null ? 1 : channels);

const cases: Case[] = [
  { kind: 'min-max', spec: () => common },
  { kind: 'moving-average-min-max', spec: () => fc.record({ base: common, constant: fc.double({ min: 0, max: 1, noNaN: true }) }).map(({ base, constant }) => ({ ...base, constant })) },
  {
    kind: 'percentile',
    spec: (C) =>
      common.chain((b) =>
        fc.record({ range: prepassArb(perChannel(C, b.axis)), bins: fc.integer({ min: 1, max: 40 }), percentile: fc.double({ min: 0.01, max: 100, noNaN: true }) }).map((r) => ({ ...b, ...r })),
      ),
  },
  {
    kind: 'entropy',
    spec: (C) =>
      common.chain((b) =>
        fc
          .record({
            range: prepassArb(perChannel(C, b.axis)),
            levels: fc.integer({ min: 1, max: 6 }),
            extra: fc.integer({ min: 0, max: 20 }),
            histogram: fc.constantFrom('abs', 'signed'),
            flattenZeroBin: fc.boolean(),
            smoothing: fc.constantFrom(0, 0.0001, 0.01),
          })
          .map(({ range, levels, extra, ...rest }) => ({ ...b, range, levels, bins: levels + extra, ...rest })),
      ),
  },
  {
    kind: 'mse',
    spec: (C) =>
      common.chain((b) =>
        fc
          .record({
            range: prepassArb(perChannel(C, b.axis)),
            bins: fc.integer({ min: 1, max: 24 }),
            steps: fc.integer({ min: 1, max: 8 }),
            dtype: b.symmetric ? fc.constantFrom('int8', 'uint8', 'int4', 'float8e4m3fn') : fc.constantFrom('int8', 'uint8', 'int4', 'uint16'),
          })
          .map((r) => ({ ...b, ...r })),
      ),
  },
  { kind: 'distribution', spec: () => common },
  {
    kind: 'distiller',
    spec: () => fc.record({ base: common, mode: fc.constantFrom('avg', 'n-std'), nStd: fc.double({ min: 0, max: 6, noNaN: true }) }).map(({ base, mode, nStd }) => ({ ...base, mode, nStd })),
  },
];

const fold = (c: Any, spec: unknown, bs: readonly TensorLike[]) => bs.reduce((s, b) => c.observe(s, b), c.init(spec));
const bytes = (c: Any, s: unknown) => Array.from(c.encode(s));

/** A case: channels, a spec for them, and three batch sequences. */
const scenario = (k: Case) =>
  fc.integer({ min: 1, max: 3 }).chain((C) => fc.record({ spec: k.spec(C), a: batchesArb(C), b: batchesArb(C), c: batchesArb(C) }));

describe.each(cases)('$kind laws', (k) => {
  const cal = builtinCalibrators[k.kind] as Any;

  it('is listed under its kind', () => {
    expect(cal.kind).toBe(k.kind);
  });

  it('init() is the identity of merge', () => {
    fc.assert(
      fc.property(scenario(k), ({ spec, a }) => {
        const s = fold(cal, spec, a);
        expect(bytes(cal, cal.merge(cal.init(spec), s))).toEqual(bytes(cal, s));
        expect(bytes(cal, cal.merge(s, cal.init(spec)))).toEqual(bytes(cal, s));
      }),
      { numRuns: 60 },
    );
  });

  it('merge is associative', () => {
    fc.assert(
      fc.property(scenario(k), ({ spec, a, b, c }) => {
        const [A, B, C] = [fold(cal, spec, a), fold(cal, spec, b), fold(cal, spec, c)];
        expect(bytes(cal, cal.merge(cal.merge(A, B), C))).toEqual(bytes(cal, cal.merge(A, cal.merge(B, C))));
      }),
      { numRuns: 60 },
    );
  });

  it('observe(all) == merge(observe(a), observe(b)) for any split of the batch sequence', () => {
    fc.assert(
      fc.property(scenario(k), ({ spec, a, b }) => {
        const whole = fold(cal, spec, [...a, ...b]);
        const split = cal.merge(fold(cal, spec, a), fold(cal, spec, b));
        expect(bytes(cal, split)).toEqual(bytes(cal, whole));
        expect(cal.computeRange(split)).toEqual(cal.computeRange(whole));
      }),
      { numRuns: 60 },
    );
  });

  it('decode(encode(s)) round-trips', () => {
    fc.assert(
      fc.property(scenario(k), ({ spec, a, b }) => {
        const s = fold(cal, spec, a);
        const back = cal.decode(cal.encode(s));
        expect(bytes(cal, back)).toEqual(bytes(cal, s));
        expect(cal.computeRange(back)).toEqual(cal.computeRange(s));
        // A decoded state keeps working: observing more after a resume equals observing it all at once.
        const more = (x: unknown) => b.reduce((acc, batch) => cal.observe(acc, batch), x);
        expect(bytes(cal, more(back))).toEqual(bytes(cal, more(s)));
      }),
      { numRuns: 60 },
    );
  });

  it('decoding garbage, truncated or corrupted states throws CalibrationError (and nothing else)', () => {
    const decodeError = (bytes: Uint8Array): unknown => {
      try {
        cal.decode(bytes);
        return undefined;
      } catch (e) {
        return e;
      }
    };
    fc.assert(
      fc.property(scenario(k), fc.uint8Array({ maxLength: 64 }), fc.nat(), fc.integer({ min: 1, max: 255 }), ({ spec, a }, junk, at, flip) => {
        expect(decodeError(junk)).toBeInstanceOf(CalibrationError);
        const good = cal.encode(fold(cal, spec, a));
        expect(peekKind(good)).toBe(k.kind);
        expect(decodeError(good.subarray(0, at % good.length))).toBeInstanceOf(CalibrationError);
        // A flipped byte either still decodes to a valid state of this kind or is refused with CalibrationError.
        const bad = good.slice();
        bad[at % bad.length] ^= flip;
        const e = decodeError(bad);
        if (e !== undefined) expect(e).toBeInstanceOf(CalibrationError);
      }),
      { numRuns: 60 },
    );
  });

  it('ranges are NaN-free, ordered, contain 0 unless includeZero is false, and are symmetric when asked', () => {
    fc.assert(
      fc.property(scenario(k), ({ spec, a }) => {
        const sp = spec as { symmetric: boolean; includeZero: boolean };
        const r = cal.computeRange(fold(cal, spec, a));
        expect(r.min.length).toBe(r.max.length);
        for (let i = 0; i < r.min.length; i++) {
          expect(Number.isNaN(r.min[i]) || Number.isNaN(r.max[i])).toBe(false);
          expect(Number.isFinite(r.min[i]) && Number.isFinite(r.max[i])).toBe(true);
          expect(r.min[i]).toBeLessThanOrEqual(r.max[i]);
          if (sp.includeZero || sp.symmetric) {
            expect(r.min[i]).toBeLessThanOrEqual(0);
            expect(r.max[i]).toBeGreaterThanOrEqual(0);
          }
          if (sp.symmetric) expect(r.min[i] === -r.max[i]).toBe(true);
          for (const extra of [r.mean, r.std]) if (extra) expect(Number.isNaN(extra[i])).toBe(false);
        }
      }),
      { numRuns: 60 },
    );
  });
});

/**
 * Order independence (what round-robin sharding across machines relies on: shard k gets samples i % N === k, so the
 * merged shards see the batches in another order than one process): for every method except the moving average
 * (whose state is order-dependent by definition), folding the batches in any order and merging in either order give
 * the same bytes.
 */
describe.each(cases.filter((c) => c.kind !== 'moving-average-min-max'))('$kind is order-independent', (k) => {
  const cal = builtinCalibrators[k.kind] as Any;
  it('observe(a ++ b) == observe(b ++ a) and merge(A, B) == merge(B, A)', () => {
    fc.assert(
      fc.property(scenario(k), ({ spec, a, b }) => {
        expect(bytes(cal, fold(cal, spec, [...b, ...a]))).toEqual(bytes(cal, fold(cal, spec, [...a, ...b])));
        const [A, B] = [fold(cal, spec, a), fold(cal, spec, b)];
        expect(bytes(cal, cal.merge(B, A))).toEqual(bytes(cal, cal.merge(A, B)));
      }),
      { numRuns: 60 },
    );
  });
});
