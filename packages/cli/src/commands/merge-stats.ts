import { mergeStatistics, readStatisticsInfo } from '@lowbit/quantize';
import { readRegularFile } from '@lowbit/onnx-ir';
import type { Io } from '../io.js';
import { writeFileAtomic } from '../compare/write-atomic.js';
import { checkOutputFile } from '../output-guard.js';

interface MergeFlags {
  output: string;
  overwrite?: boolean;
  json?: boolean;
}

/**
 * `lowbit merge-stats FILES... -o OUT`: merges statistics (or range) files from `lowbit calibrate --shard` into one;
 * any order of FILES gives the same bytes, and all N shards give the bytes one process over all samples gives.
 * Files from another model, method, option set or shard count are refused (a usage error naming the field).
 */
export async function mergeStatsCommand(io: Io, files: string[], f: MergeFlags): Promise<void> {
  await checkOutputFile(f.output, files, f.overwrite === true);
  const inputs = await Promise.all(files.map((p) => readRegularFile(p, 2 ** 30, 'statistics file')));
  const bytes = mergeStatistics(inputs);
  await writeFileAtomic(f.output, bytes);
  const info = readStatisticsInfo(bytes);
  const shards = info.shard ? `shards ${info.shard.indices.join(',')} of ${info.shard.count}` : 'complete';
  const result = { output: f.output, inputs: files.length, method: info.method, stage: info.stage ?? 'statistics', batches: info.batches, shard: info.shard ?? null, bytes: bytes.length };
  if (f.json) io.stdout(JSON.stringify(result) + '\n');
  else io.stdout(`merged ${files.length} file(s): ${info.method} ${info.stage ?? 'statistics'} over ${info.batches} samples (${shards}) -> ${f.output} (${bytes.length} bytes)\n`);
}
