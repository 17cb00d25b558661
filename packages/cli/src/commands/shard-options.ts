/**
 * `lowbit calibrate` sharding flags, for batch engines' array jobs (see docs/distributed-calibration.md):
 * - `--shard K/N`: shard K (from 0) of N, i.e. calibration samples i with i % N === K;
 * - `--shard-from-env VAR/N`: K from the environment variable VAR, the engine's array index
 *   (JOB_COMPLETION_INDEX for Kubernetes Indexed Jobs, SLURM_ARRAY_TASK_ID for `sbatch --array=0-(N-1)`,
 *   AWS_BATCH_JOB_ARRAY_INDEX for AWS Batch array jobs; any variable name works);
 * - `--range-pass`: write the first-pass min/max range file instead of statistics (histogram methods);
 * - `--ranges FILE`: the merged range file that fixes the histogram bin edges of every shard.
 * Bad values are UsageErrors naming the flag.
 */
import { readFile } from 'node:fs/promises';
import type { CalibrateStaticOptions } from '@lowbit/quantize';
import { UsageError } from '../exit-codes.js';

export interface ShardFlags {
  shard?: string;
  shardFromEnv?: string;
  rangePass?: boolean;
  ranges?: string;
}

const SHARD = /^(\d+)\/(\d+)$/;

/** Parses `K/N` (0 <= K < N); `flag` names the flag in errors. */
export function parseShard(v: string, flag: string): { index: number; count: number } {
  const m = SHARD.exec(v.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !Number.isSafeInteger(index) || !Number.isSafeInteger(count) || count < 1 || index >= count) {
    throw new UsageError(`${flag} must be K/N with 0 <= K < N (K counts from 0), got "${v}"`, { option: flag, expected: 'K/N, 0 <= K < N', actual: v });
  }
  return { index, count };
}

/** Resolves `--shard-from-env VAR/N` against `env`. */
export function shardFromEnv(v: string, env: NodeJS.ProcessEnv): { index: number; count: number } {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)\/(\d+)$/.exec(v.trim());
  if (!m) throw new UsageError(`--shard-from-env must be VAR/N (e.g. JOB_COMPLETION_INDEX/4), got "${v}"`, { option: '--shard-from-env', expected: 'VAR/N', actual: v });
  const value = env[m[1]];
  if (value === undefined || value.trim() === '') {
    throw new UsageError(`--shard-from-env: environment variable ${m[1]} is not set (run inside the array job, or use --shard K/N)`, { option: '--shard-from-env', expected: `${m[1]} set to the array index`, actual: 'unset' });
  }
  return parseShard(`${value.trim()}/${m[2]}`, `--shard-from-env (${m[1]}=${value})`);
}

/** The calibrateStatic options the flags give. */
export async function shardOptions(f: ShardFlags, env: NodeJS.ProcessEnv = process.env): Promise<Pick<CalibrateStaticOptions, 'shard' | 'rangePass' | 'ranges'>> {
  if (f.shard !== undefined && f.shardFromEnv !== undefined) {
    throw new UsageError('give --shard or --shard-from-env, not both', { option: '--shard-from-env' });
  }
  if (f.rangePass && f.ranges !== undefined) throw new UsageError('--range-pass makes the range file; do not pass --ranges with it', { option: '--ranges' });
  const shard = f.shard !== undefined ? parseShard(f.shard, '--shard') : f.shardFromEnv !== undefined ? shardFromEnv(f.shardFromEnv, env) : undefined;
  return {
    ...(shard ? { shard } : {}),
    ...(f.rangePass ? { rangePass: true } : {}),
    ...(f.ranges !== undefined ? { ranges: new Uint8Array(await readFile(f.ranges)) } : {}),
  };
}
