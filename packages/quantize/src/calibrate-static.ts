/**
 * `calibrateStatic(input, calibrationData, options?)`: the calibration half of quantizeStatic, saved. Runs the same
 * option checks, preprocessing, target selection and calibration that `quantizeStatic(input, out, data, options)`
 * runs, and returns a statistics file (statistics-file.ts: magic "LBQS", format version, method and its settings,
 * the preprocessed model's fingerprint, the encoded calibrator states including the `#observed` min-max states).
 * `quantizeStatic(input, out, null, { ...options, statistics })` then skips calibration and writes a model
 * byte-identical to the direct run.
 *
 * Example:
 * ```ts
 * const stats = await calibrateStatic('mnist-8.onnx', images, { calibrationMethod: 'entropy' });
 * await writeFile('stats.bin', stats);
 * await quantizeStatic('mnist-8.onnx', 'mnist-8.q.onnx', null, { calibrationMethod: 'entropy', statistics: await readFile('stats.bin') });
 * ```
 *
 * Sharded (see sharding.ts): `{ shard: { index, count } }` calibrates the samples `i % count === index` and writes a
 * partial file for `mergeStatistics`; histogram methods first need `{ rangePass: true }` per shard, the range files
 * merged, and the merged file passed as `{ ranges }` to every shard, so all shards bin with the same edges.
 */
import { calibrateStates, methodPlan, settingsRead } from './calibration.js';
import { checkRangeFile, checkShard, rangeStates, shardData, statesWithRanges, type ShardSelector } from './sharding.js';
import type { StatisticsFile } from './statistics-file.js';
import { QuantizeError } from './errors.js';
import { modelFingerprint } from './fingerprint.js';
import { withRunner } from './runner.js';
import { abortable, type Stage } from './abort.js';
import { encodeStatistics } from './statistics-file.js';
import { planStatic } from './static-plan.js';
import type { CalibrationData, ModelInput, StaticQuantizeOptions } from './types.js';
import { QUANTIZE_VERSION, TOOL_NAME } from './version.js';

const WHERE = 'calibrateStatic';

/** calibrateStatic's options: quantizeStatic's, plus sharding (see sharding.ts). */
export interface CalibrateStaticOptions extends StaticQuantizeOptions {
  /** Calibrate only shard `index` of `count` (samples `i % count === index`); the file records the shard. */
  readonly shard?: ShardSelector;
  /** Write the first-pass min/max range file (`stage: "ranges"`) instead of statistics. */
  readonly rangePass?: boolean;
  /** A complete (merged) range file: fixes the histogram bin edges instead of running a first pass. */
  readonly ranges?: Uint8Array;
}

export async function calibrateStatic(input: ModelInput, calibrationData: CalibrationData, options: CalibrateStaticOptions = {}): Promise<Uint8Array> {
  if (calibrationData === null || calibrationData === undefined) {
    throw new QuantizeError({ where: WHERE, option: 'calibrationData', expected: 'calibration data', actual: String(calibrationData) }, 'missing calibration data');
  }
  if (options.statistics !== undefined) {
    throw new QuantizeError({ where: WHERE, option: 'statistics', expected: 'no saved statistics (calibrateStatic makes them)', actual: `${options.statistics.length} bytes` }, 'nothing to calibrate');
  }
  const shard = checkShard(options.shard, WHERE);
  if (options.rangePass && options.ranges !== undefined) {
    throw new QuantizeError({ where: WHERE, option: 'ranges', expected: 'no range file with rangePass (the range pass makes it)', actual: `${options.ranges.length} bytes` }, 'conflicting options');
  }
  return abortable(WHERE, options.signal, (stage) => calibrate(input, calibrationData, options, shard, stage));
}

async function calibrate(input: ModelInput, calibrationData: CalibrationData, options: CalibrateStaticOptions, shard: ShardSelector | undefined, stage: Stage): Promise<Uint8Array> {
  const plan = await planStatic(input, options, WHERE, calibrationData, stage);
  const mp = methodPlan(plan.method, options.calibration, WHERE);
  const header: StatisticsFile['header'] = {
    tool: `${TOOL_NAME}/quantize ${QUANTIZE_VERSION}`, method: plan.method, calibration: settingsRead(plan.method, options.calibration), settings: mp.spec,
    modelSha256: await modelFingerprint(plan.model), batches: 0,
  };
  const data = shard ? shardData(calibrationData, shard) : calibrationData;
  const shardField = shard ? { shard: { count: shard.count, indices: [shard.index] } } : {};
  const where = shard ? `${WHERE} (shard ${shard.index}/${shard.count})` : WHERE;
  stage('calibration');
  return withRunner(plan.model, options.runner, async (runner) => {
    if (options.rangePass) {
      const r = await rangeStates(runner, data, plan.tensors, mp, options.signal);
      if (mp.prepass && r.batches === 0) noData(where);
      return encodeStatistics({ header: { ...header, batches: r.batches, stage: 'ranges', ...shardField }, states: r.states }, WHERE);
    }
    if (mp.prepass && shard && options.ranges === undefined) {
      throw new QuantizeError({ where, option: 'ranges', expected: `the merged range file (run the range pass on every shard and merge them first): "${plan.method}" fixes its histogram bin edges from the min/max of all samples`, actual: 'none' }, 'sharded histogram calibration needs common bin edges');
    }
    const ranges = options.ranges !== undefined ? checkRangeFile(options.ranges, header, WHERE) : undefined;
    const { states, batches } = ranges
      ? await statesWithRanges(runner, data, plan.tensors, plan.method, options.calibration, ranges, WHERE, options.signal)
      : await calibrateStates(runner, data, plan.tensors, plan.method, options.calibration, options.signal, where, plan.optional);
    if (batches === 0) noData(where);
    return encodeStatistics({ header: { ...header, batches, ...shardField }, states }, WHERE);
  });
}

function noData(where: string): never {
  throw new QuantizeError({ where, option: 'calibrationData', expected: 'at least one batch', actual: '0' }, 'no calibration data');
}
