/**
 * Calibration data that carries no finite value (all NaN or ±Infinity, e.g. images normalised with a std of 0) would
 * calibrate every range to nothing and give a model that ignores its input, silently. This wrapper watches the float
 * feeds as calibration reads them and refuses such data with a CalibrationError naming the input.
 */
import { CalibrationError } from '@lowbit/calibrators';
import type { Feeds } from '@lowbit/calibrators';

export interface FiniteWatch {
  /** The data, observed as it is read. */
  readonly data: () => AsyncIterable<Feeds>;
  /** Throws a CalibrationError for a float input that had elements but never a finite one. */
  check(): void;
}

function floatData(t: unknown): Float32Array | Float64Array | undefined {
  const d = (t as { data?: unknown } | null)?.data;
  return d instanceof Float32Array || d instanceof Float64Array ? d : undefined;
}

/** Wraps a re-readable data source; `check()` after a pass. */
export function watchFinite(data: () => Iterable<Feeds> | AsyncIterable<Feeds>): FiniteWatch {
  const seen = new Map<string, { elements: number; finite: number; samples: number }>();
  return {
    data: () => ({
      async *[Symbol.asyncIterator]() {
        for await (const feeds of data() as AsyncIterable<Feeds>) {
          for (const [name, t] of Object.entries(feeds)) {
            const d = floatData(t);
            if (!d) continue;
            const s = seen.get(name) ?? { elements: 0, finite: 0, samples: 0 };
            s.samples++;
            s.elements += d.length;
            if (s.finite === 0) for (let i = 0; i < d.length; i++) if (d[i]! - d[i]! === 0) { s.finite++; break; }
            seen.set(name, s);
          }
          yield feeds;
        }
      },
    }),
    check() {
      for (const [input, s] of seen) {
        if (s.elements > 0 && s.finite === 0) {
          throw new CalibrationError(
            `calibration data for input "${input}" holds no finite value in ${s.samples} sample(s) (all NaN or ±Infinity; a std of 0 does this): the quantized model would ignore its input`,
            { input, expected: 'finite values', actual: 'only NaN/±Infinity' },
          );
        }
      }
    },
  };
}
