import fc from 'fast-check';
import type { TensorLike } from '../core/types.js';

/** Float32 values with the awkward cases: ±0, NaN, ±Infinity, exact halves, the float32 extremes. */
export const f32Value = (): fc.Arbitrary<number> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: -8, max: 8 }).map((n) => n / 2) },
    { weight: 3, arbitrary: fc.float({ noNaN: true, noDefaultInfinity: true, min: -1000, max: 1000 }) },
    { weight: 1, arbitrary: fc.float() },
    { weight: 1, arbitrary: fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 3.4028234663852886e38, -3.4028234663852886e38, 1e-45) },
  );

/** A batch `[n, channels, k]` (n may be 0: an empty batch). */
export const batchArb = (channels: number): fc.Arbitrary<TensorLike> =>
  fc
    .record({ n: fc.integer({ min: 0, max: 3 }), k: fc.integer({ min: 1, max: 3 }) })
    .chain(({ n, k }) =>
      fc.array(f32Value(), { minLength: n * channels * k, maxLength: n * channels * k }).map((vs) => ({
        dims: [n, channels, k],
        data: Float32Array.from(vs),
      })),
    );

export const batchesArb = (channels: number, max = 4): fc.Arbitrary<TensorLike[]> => fc.array(batchArb(channels), { maxLength: max });

/** A first-pass range per channel: finite, min <= max (possibly a single point). */
export const prepassArb = (channels: number): fc.Arbitrary<{ min: number[]; max: number[] }> =>
  fc
    .array(fc.tuple(fc.float({ noNaN: true, noDefaultInfinity: true, min: -100, max: 100 }), fc.float({ noNaN: true, noDefaultInfinity: true, min: -100, max: 100 })), {
      minLength: channels,
      maxLength: channels,
    })
    .map((ps) => ({ min: ps.map(([a, b]) => Math.min(a, b) + 0), max: ps.map(([a, b]) => Math.max(a, b) + 0) }));
