import { loadModel } from '@lowbit/onnx-ir';
import { calibrateStatic, readStatisticsInfo } from '@lowbit/quantize';
import type { Io } from '../io.js';
import { openCalibrationData } from '../data/source.js';
import { progress } from '../progress.js';
import { checkOutputFile } from '../output-guard.js';
import { writeFileAtomic } from '../compare/write-atomic.js';
import { modelInputSpecs } from './model-inputs.js';
import { shardOptions, type ShardFlags } from './shard-options.js';

interface CalibrateFlags extends ShardFlags {
  calib: string;
  output: string;
  calibCount?: number;
  method: string;
  perChannel?: boolean;
  overwrite?: boolean;
  json?: boolean;
  resize?: [number, number];
  mean?: number[];
  std?: number[];
  layout: 'nchw' | 'nhwc';
}

/** `lowbit calibrate`: runs the calibration `quantize --mode static` would run and saves the statistics. */
export async function calibrateCommand(io: Io, input: string, f: CalibrateFlags): Promise<void> {
  const started = performance.now();
  await checkOutputFile(f.output, [input, f.calib], f.overwrite === true);
  const sharding = await shardOptions(f);
  const model = await loadModel(input);
  const specs = modelInputSpecs(model);
  const opts = { count: f.calibCount, resize: f.resize, mean: f.mean, std: f.std, layout: f.layout };
  let samples = 0;
  const data = () => ({
    async *[Symbol.asyncIterator]() {
      const bar = progress(io, 'calibrating', f.calibCount);
      samples = 0;
      try {
        for await (const feeds of openCalibrationData(f.calib, specs, opts)) {
          samples++;
          bar.tick();
          yield feeds;
        }
      } finally {
        bar.stop();
      }
    },
  });
  const bytes = await calibrateStatic(model, data, {
    calibrationMethod: f.method as never,
    ...(f.perChannel ? { perChannel: true } : {}),
    ...sharding,
    ...(io.signal ? { signal: io.signal } : {}),
  });
  await writeFileAtomic(f.output, bytes);
  // With a shard, the data source reads every sample and the shard keeps its own: report what went in the file.
  if (sharding.shard || sharding.rangePass) samples = readStatisticsInfo(bytes).batches;
  const what = sharding.rangePass ? 'ranges' : 'statistics';
  const shard = sharding.shard ? `${sharding.shard.index}/${sharding.shard.count}` : null;
  const result = { model: input, output: f.output, method: f.method, stage: what, shard, samples, bytes: bytes.length, seconds: (performance.now() - started) / 1000 };
  if (f.json) io.stdout(JSON.stringify(result) + '\n');
  else io.stdout(`${input}: ${f.method} ${what}${shard ? ` (shard ${shard})` : ''} over ${samples} samples -> ${f.output} (${bytes.length} bytes, ${result.seconds.toFixed(1)} s)\n`);
}
