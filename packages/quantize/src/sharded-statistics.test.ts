/**
 * Issue 18: sharded calibration through the API on mnist-8 (the first 14 training images of
 * train-10k-images-idx3-ubyte.gz). For minmax, percentile, entropy and mse, four shards (sample i in shard i % 4, the
 * histogram methods after a range pass whose merged file fixes the bin edges) merged in any order give the very
 * bytes of one calibrateStatic over all samples; merges are associative; every mismatch is a StatisticsMismatchError
 * naming the field. (The same steps as separate CLI processes: packages/cli/src/distributed-calibration.e2e.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { testdataPath } from '@lowbit/testing';
import { calibrateStatic, type CalibrateStaticOptions } from './calibrate-static.js';
import { QuantizeError } from './errors.js';
import { mergeStatistics } from './merge-statistics.js';
import { quantizeStatic } from './quantize-static.js';
import { decodeStatistics, readStatisticsInfo } from './statistics-file.js';
import { StatisticsMismatchError } from './statistics-mismatch.js';
import { calibrationFeeds } from './test-support/mnist.js';
import type { CalibrationMethod } from './types.js';

const MNIST = testdataPath('models', 'mnist-8.onnx');
const N = 14; // not a multiple of 4: shards get 4, 4, 3, 3 samples
const data = calibrationFeeds(N);
const SHARDS = 4;
const shards = Array.from({ length: SHARDS }, (_, index) => ({ index, count: SHARDS }));

async function sharded(method: CalibrationMethod, o: CalibrateStaticOptions = {}): Promise<{ parts: Uint8Array[]; ranges: Uint8Array }> {
  const opts = { calibrationMethod: method, ...o };
  const rangeParts = await Promise.all(shards.map((shard) => calibrateStatic(MNIST, data, { ...opts, shard, rangePass: true })));
  const ranges = mergeStatistics(rangeParts);
  const parts = await Promise.all(shards.map((shard) => calibrateStatic(MNIST, data, { ...opts, shard, ranges })));
  return { parts, ranges };
}

function expectMismatch(f: () => unknown, field: string): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(StatisticsMismatchError);
    expect(e).toBeInstanceOf(QuantizeError);
    expect((e as StatisticsMismatchError).field).toBe(field);
    expect((e as Error).message).toContain(`"${field}"`);
    return;
  }
  throw new Error(`expected a StatisticsMismatchError on field ${field}`);
}

describe('sharded calibration (API) on mnist-8', () => {
  for (const method of ['minmax', 'percentile', 'entropy', 'mse'] as const) {
    it(`${method}: 4 shards merged in any order equal one process, byte for byte`, async () => {
      const single = await calibrateStatic(MNIST, data, { calibrationMethod: method });
      const { parts } = await sharded(method);
      for (const p of parts) expect(readStatisticsInfo(p).shard?.count).toBe(SHARDS);
      expect(parts.map((p) => decodeStatistics(p).header.batches)).toEqual([4, 4, 3, 3]);
      const merged = mergeStatistics(parts);
      expect(Buffer.from(merged).equals(Buffer.from(single))).toBe(true);
      expect(Buffer.from(mergeStatistics([parts[3], parts[1], parts[0], parts[2]])).equals(Buffer.from(single))).toBe(true);
      // Associative: two partial merges, then one more.
      const left = mergeStatistics([parts[2], parts[0]]);
      expect(readStatisticsInfo(left).shard).toEqual({ count: 4, indices: [0, 2] });
      expect(Buffer.from(mergeStatistics([mergeStatistics([parts[3], parts[1]]), left])).equals(Buffer.from(single))).toBe(true);
    }, 120_000);
  }

  it('refuses mixed files, naming the field', async () => {
    const { parts, ranges } = await sharded('percentile', { calibration: { percentile: 99.9 } });
    const other = await sharded('percentile', { calibration: { percentile: 99 } });
    const entropy = await calibrateStatic(MNIST, data, { calibrationMethod: 'entropy', shard: shards[1], ranges: mergeStatistics(await Promise.all(shards.map((shard) => calibrateStatic(MNIST, data, { calibrationMethod: 'entropy', shard, rangePass: true })))) });
    expectMismatch(() => mergeStatistics([parts[0], other.parts[1]]), 'calibration');
    expectMismatch(() => mergeStatistics([parts[0], entropy]), 'method');
    expectMismatch(() => mergeStatistics([parts[0], parts[0]]), 'shard.indices');
    expectMismatch(() => mergeStatistics([parts[0], ranges]), 'stage');
    const three = await calibrateStatic(MNIST, data, { calibrationMethod: 'minmax', shard: { index: 0, count: 3 } });
    const four = await calibrateStatic(MNIST, data, { calibrationMethod: 'minmax', shard: { index: 1, count: 4 } });
    expectMismatch(() => mergeStatistics([three, four]), 'shard.count');
    // Another model: mnist-8 preprocessed at opset 21 (16-bit activations need it) has another fingerprint.
    const wide = await calibrateStatic(MNIST, data, { calibrationMethod: 'minmax', activationType: 'uint16', shard: { index: 2, count: 4 } });
    expectMismatch(() => mergeStatistics([four, wide]), 'modelSha256');
    // Histogram shards binned with another (complete) range file, here from fewer samples: same header, other edges.
    const p999 = { calibrationMethod: 'percentile' as const, calibration: { percentile: 99.9 } };
    const fewer = await calibrateStatic(MNIST, calibrationFeeds(5), { ...p999, rangePass: true });
    const otherEdges = await calibrateStatic(MNIST, data, { ...p999, shard: shards[1], ranges: fewer });
    try {
      mergeStatistics([parts[0], otherEdges]);
      throw new Error('expected a refusal');
    } catch (e) {
      expect(e).toBeInstanceOf(StatisticsMismatchError);
      expect((e as StatisticsMismatchError).field).toMatch(/^states\[".+"\]\.spec$/);
    }
    // A range file that does not cover every shard cannot fix the edges.
    const partialRanges = await calibrateStatic(MNIST, data, { ...p999, shard: shards[0], rangePass: true });
    await expect(calibrateStatic(MNIST, data, { ...p999, shard: shards[1], ranges: partialRanges })).rejects.toMatchObject({ field: 'shard.indices' });
    await expect(calibrateStatic(MNIST, data, { ...p999, shard: shards[1], ranges: parts[0] })).rejects.toMatchObject({ field: 'stage' });
  }, 180_000);

  it('a sharded histogram run without the merged range file, and a partial file used to quantize, are refused', async () => {
    await expect(calibrateStatic(MNIST, data, { calibrationMethod: 'entropy', shard: shards[0] })).rejects.toThrow(/option "ranges".*common bin edges|common bin edges/);
    const part = await calibrateStatic(MNIST, data, { calibrationMethod: 'minmax', shard: shards[0] });
    await expect(quantizeStatic(MNIST, '/nonexistent/never-written.onnx', null, { statistics: part })).rejects.toBeInstanceOf(StatisticsMismatchError);
    await expect(calibrateStatic(MNIST, data, { shard: { index: 4, count: 4 } })).rejects.toThrow(/option "shard"/);
  }, 60_000);
});
