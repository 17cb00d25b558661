/**
 * Saved calibration statistics on mnist-8 (first 20 training images): calibrateStatic writes a statistics file,
 * quantizeStatic({ statistics }) reuses it and writes a model byte-identical to calibrating in the same call (minmax,
 * entropy with its #observed states, QOperator per-channel), a file calibrated for more tensors serves a narrower
 * selection, and every mismatch (bytes, version, checksum, method, settings, model, tensors, data + statistics) is
 * a typed QuantizeError.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMnist, testdataPath } from '@lowbit/testing';
import { decodeModel, encodeModel } from '@lowbit/onnx-ir';
import type { InlineTensor } from '@lowbit/onnx-ir';
import { minMax } from '@lowbit/calibrators';
import { calibrateStatic } from './calibrate-static.js';
import { QuantizeError } from './errors.js';
import { METADATA_KEYS } from './metadata.js';
import { quantizeStatic } from './quantize-static.js';
import { quantizeWithRecipe } from './quantize-recipe.js';
import { STATISTICS_MAGIC, decodeStatistics, readStatisticsInfo } from './statistics-file.js';
import type { StaticQuantizeOptions } from './types.js';
import { calibrationFeeds } from './test-support/mnist.js';

const MNIST = testdataPath('models', 'mnist-8.onnx');
const dir = mkdtempSync(join(tmpdir(), 'lowbit-stats-'));
const N = 20;
const data = calibrationFeeds(N);
let outs = 0;
const out = () => join(dir, `m${outs++}.onnx`);
const calHash = (bytes: Uint8Array) => decodeModel(bytes).metadataProps.find((e) => e.key === METADATA_KEYS.calibration)?.value;

async function direct(o: StaticQuantizeOptions): Promise<Uint8Array> {
  const p = out();
  await quantizeStatic(MNIST, p, data, o);
  return readFileSync(p);
}
async function reused(stats: Uint8Array, o: StaticQuantizeOptions): Promise<Uint8Array> {
  const p = out();
  await quantizeStatic(MNIST, p, null, { ...o, statistics: stats });
  return readFileSync(p);
}

/** Resolves to the QuantizeError `p` rejects with (fails the test when it resolves or throws something else). */
async function quantizeError(p: Promise<unknown>): Promise<QuantizeError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(QuantizeError);
  return e as QuantizeError;
}

describe('calibrateStatic + quantizeStatic({ statistics }) on mnist-8', async () => {
  const minmaxStats = await calibrateStatic(MNIST, data);

  it('the file: magic, version, method, settings, batches, and the Input3 state is the pixel range of the 20 images', () => {
    expect(new TextDecoder().decode(minmaxStats.subarray(0, 4))).toBe(STATISTICS_MAGIC);
    const info = readStatisticsInfo(minmaxStats);
    expect(info).toMatchObject({ formatVersion: 1, method: 'minmax', calibration: {}, settings: { axis: null }, batches: N });
    expect(info.modelSha256).toMatch(/^[0-9a-f]{64}$/);
    // mnist-8 quantizes Input3 (the first Conv's input) and the outputs of its Conv/MatMul/... nodes
    expect(info.tensors).toContain('Input3');
    expect(info.tensors.length).toBeGreaterThan(4);
    // Independent reference: min and max over the 20 images' pixels (x/255), computed here directly.
    const px = readMnist('train', N).pixels;
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of px) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    const r = minMax.computeRange(minMax.decode(decodeStatistics(minmaxStats).states.get('Input3')!));
    expect([r.min[0], r.max[0]]).toEqual([Math.min(lo, 0), hi]);
  });

  it('minmax QDQ: quantizing from the saved file is byte-identical to calibrating directly (same statistics hash)', async () => {
    const a = await direct({});
    const b = await reused(minmaxStats, {});
    expect(calHash(b)).toMatch(/^[0-9a-f]{64}$/);
    expect(calHash(b)).toBe(calHash(a));
    expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true);
    // the statistics are what decides: a file calibrated on the first 5 images gives another model and hash
    const c = await reused(await calibrateStatic(MNIST, calibrationFeeds(5)), {});
    expect(calHash(c)).not.toBe(calHash(a));
    expect(Buffer.from(c).equals(Buffer.from(a))).toBe(false);
  });

  it('entropy QOperator per-channel s8s8 (with #observed states): byte-identical too', async () => {
    const o: StaticQuantizeOptions = { calibrationMethod: 'entropy', quantFormat: 'QOperator', perChannel: true, activationType: 'int8' };
    const stats = await calibrateStatic(MNIST, data, o);
    const f = decodeStatistics(stats);
    const info = readStatisticsInfo(stats);
    expect(info.method).toBe('entropy');
    // every tensor has its entropy state and its min-max clipping state
    expect([...f.states.keys()].sort()).toEqual(info.tensors.flatMap((t) => [t, `${t}#observed`]).sort());
    const a = await direct(o);
    const b = await reused(stats, o);
    expect(calHash(b)).toBe(calHash(a));
    expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true);
  });

  it('a file calibrated for every tensor serves a narrower selection (nodesToExclude), identical to the direct run', async () => {
    const conv = decodeModel(readFileSync(MNIST)).graph.nodes.find((n) => n.opType === 'Conv')!.name;
    const o: StaticQuantizeOptions = { nodesToExclude: [conv] };
    const a = await direct(o);
    const b = await reused(minmaxStats, o);
    expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true);
    // and through a recipe
    const p = out();
    await quantizeWithRecipe(MNIST, p, { mode: 'static', nodesToExclude: [conv] }, { statistics: minmaxStats });
    expect(Buffer.from(readFileSync(p)).equals(Buffer.from(a))).toBe(true);
  });

  it('garbage, truncated, wrong magic, wrong version, corrupted bytes: typed errors naming expected vs actual', async () => {
    const garbage = new Uint8Array(200).map((_, i) => (i * 37 + 11) & 255);
    expect((await quantizeError(reused(garbage, {}))).message).toMatch(/magic "LBQS".*got/);
    expect((await quantizeError(reused(new Uint8Array(0), {}))).message).toMatch(/expected magic "LBQS".*got 0 bytes/);
    const v2 = minmaxStats.slice();
    v2[4] = 2;
    expect((await quantizeError(reused(v2, {}))).message).toMatch(/unsupported statistics format.*expected format version 1, got version 2/);
    const flipped = minmaxStats.slice();
    flipped[minmaxStats.length >> 1] ^= 1;
    expect((await quantizeError(reused(flipped, {}))).message).toMatch(/checksum mismatch/);
    const truncated = minmaxStats.slice(0, minmaxStats.length - 10);
    expect((await quantizeError(reused(truncated, {}))).message).toMatch(/checksum mismatch|expected/);
    expect((await quantizeError(reused(garbage, {}))).context).toMatchObject({ where: 'quantizeStatic', option: 'statistics' });
    expect(() => readStatisticsInfo(garbage)).toThrow(QuantizeError);
  });

  it('another method, other method settings: typed errors', async () => {
    const e1 = await quantizeError(reused(minmaxStats, { calibrationMethod: 'entropy' }));
    expect(e1.context).toMatchObject({ option: 'calibrationMethod', actual: '"entropy"' });
    expect(e1.message).toMatch(/another calibration method.*expected "minmax".*got "entropy"/);
    const pct = await calibrateStatic(MNIST, data, { calibrationMethod: 'percentile', calibration: { percentile: 99.9 } });
    const e2 = await quantizeError(reused(pct, { calibrationMethod: 'percentile', calibration: { percentile: 99.99 } }));
    expect(e2.context.option).toBe('calibration');
    expect(e2.message).toMatch(/"percentile":99\.9\b.*got .*"percentile":99\.99/);
    // the file says how it was made: these options reproduce it (as a CLI given only --stats would do)
    const info = readStatisticsInfo(pct);
    expect(info).toMatchObject({ method: 'percentile', calibration: { percentile: 99.9 }, settings: { axis: null, percentile: 99.9 } });
    const fromInfo = await reused(pct, { calibrationMethod: info.method, calibration: info.calibration });
    expect(Buffer.from(fromInfo).equals(Buffer.from(await direct({ calibrationMethod: 'percentile', calibration: { percentile: 99.9 } })))).toBe(true);
    // settings the method does not read do not matter (bins with minmax)
    const a = await reused(minmaxStats, { calibration: { bins: 512 } });
    expect(calHash(a)).toBe(calHash(await reused(minmaxStats, {})));
  });

  it('another model (one weight byte changed) or options that change preprocessing (uint16 -> opset 21): fingerprint error', async () => {
    const m = decodeModel(readFileSync(MNIST));
    const w = m.graph.initializers.find((t) => t.kind === 'inline' && t.data.length >= 16) as InlineTensor;
    const data2 = w.data.slice();
    data2[0] ^= 0x01;
    const changed = encodeModel({ ...m, graph: { ...m.graph, initializers: m.graph.initializers.map((t) => (t === w ? { ...w, data: data2 } : t)) } });
    const e1 = await quantizeError(quantizeStatic(changed, out(), null, { statistics: minmaxStats }));
    expect(e1.message).toMatch(/another model.*expected model fingerprint [0-9a-f]{64}, got [0-9a-f]{64}/);
    // the unchanged model given as bytes or as an IR Model has the same fingerprint as the path
    await expect(quantizeStatic(readFileSync(MNIST), out(), null, { statistics: minmaxStats })).resolves.toBeDefined();
    await expect(quantizeStatic(m, out(), null, { statistics: minmaxStats })).resolves.toBeDefined();
    const e2 = await quantizeError(reused(minmaxStats, { activationType: 'uint16' }));
    expect(e2.message).toMatch(/another model/);
  });

  it('statistics missing tensors to quantize: typed error listing them', async () => {
    const matmul = decodeModel(readFileSync(MNIST)).graph.nodes.filter((n) => n.opType === 'MatMul').map((n) => n.name);
    const narrow = await calibrateStatic(MNIST, data, { nodesToExclude: matmul });
    expect(readStatisticsInfo(narrow).tensors.length).toBeLessThan(readStatisticsInfo(minmaxStats).tensors.length);
    const e = await quantizeError(reused(narrow, {}));
    expect(e.message).toMatch(/do not cover the tensors to quantize.*expected states for all \d+ tensors to quantize, got \d+ missing \("/);
  });

  it('data and statistics together, or neither: typed errors; calibrateStatic without data too', async () => {
    expect((await quantizeError(quantizeStatic(MNIST, out(), data, { statistics: minmaxStats }))).message).toMatch(/either calibration data or saved statistics, got both/);
    expect((await quantizeError(quantizeStatic(MNIST, out(), undefined, {}))).context.option).toBe('calibrationData');
    expect((await quantizeError(calibrateStatic(MNIST, null as never))).context).toMatchObject({ where: 'calibrateStatic', option: 'calibrationData' });
  });
});
