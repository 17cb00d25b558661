/**
 * Laws of the statistics file format: decode(encode(f)) = f (header and states, any names incl. non-ASCII), encoding
 * is deterministic and independent of the states' insertion order, and any single-byte change, truncation or
 * extension of a valid file is rejected with a QuantizeError (never another error, never silently accepted).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QuantizeError } from './errors.js';
import { decodeStatistics, encodeStatistics, readStatisticsInfo } from './statistics-file.js';
import type { StatisticsFile } from './statistics-file.js';
import type { CalibrationMethod } from './types.js';

const file: fc.Arbitrary<StatisticsFile> = fc.record({
  header: fc.record({
    tool: fc.string(),
    method: fc.constantFrom<CalibrationMethod>('minmax', 'entropy', 'percentile', 'mse', 'distribution', 'meanstd'),
    calibration: fc.record({ percentile: fc.double({ min: 50, max: 100, noNaN: true }), bins: fc.integer({ min: 8, max: 4096 }), levels: fc.integer({ min: 2, max: 512 }), numStd: fc.double({ min: 0, max: 10, noNaN: true }) }, { requiredKeys: [] }),
    settings: fc.dictionary(fc.string(), fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(null), fc.string())),
    modelSha256: fc.stringMatching(/^[0-9a-f]{64}$/),
    batches: fc.nat(),
  }),
  states: fc.uniqueArray(fc.tuple(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.uint8Array({ maxLength: 40 })), { selector: ([k]) => k, maxLength: 6 }).map((es) => new Map(es)),
});

describe('statistics file format', () => {
  it('decode(encode(f)) = f; encoding ignores insertion order', () => {
    fc.assert(fc.property(file, (f) => {
      const b = encodeStatistics(f);
      const g = decodeStatistics(b);
      // JSON canonicalisation turns -0 into 0; compare through JSON like the header is stored
      expect(g.header).toEqual(JSON.parse(JSON.stringify(f.header)));
      expect(new Map([...g.states].sort())).toEqual(new Map([...f.states].sort()));
      const reversed = { header: f.header, states: new Map([...f.states].reverse()) };
      expect(encodeStatistics(reversed)).toEqual(b);
      expect(readStatisticsInfo(b).tensors).toEqual([...f.states.keys()].filter((k) => !k.endsWith('#observed')).sort());
    }), { numRuns: 200 });
  });

  it('any single-byte change, truncation or extension is a QuantizeError', () => {
    fc.assert(fc.property(file, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.nat(), (f, at, x, cut) => {
      const b = encodeStatistics(f);
      const flipped = b.slice();
      flipped[at % b.length] ^= x;
      const variants = [flipped, b.subarray(0, cut % b.length), Uint8Array.from([...b, x])];
      for (const v of variants) expect(() => decodeStatistics(v)).toThrow(QuantizeError);
    }), { numRuns: 300 });
  });
});
