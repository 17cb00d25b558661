import { describe, expect, it } from 'vitest';
import { UsageError } from '../exit-codes.js';
import { parseShard, shardFromEnv, shardOptions } from './shard-options.js';

describe('shard flags', () => {
  it('--shard K/N: K from 0, below N', () => {
    expect(parseShard('0/4', '--shard')).toEqual({ index: 0, count: 4 });
    expect(parseShard(' 3/4 ', '--shard')).toEqual({ index: 3, count: 4 });
    expect(parseShard('0/1', '--shard')).toEqual({ index: 0, count: 1 });
    for (const bad of ['4/4', '1/0', '-1/4', 'a/4', '1', '1/4/2', '1.5/4', '']) {
      expect(() => parseShard(bad, '--shard')).toThrow(UsageError);
    }
  });

  it('--shard-from-env VAR/N reads the engine index variable', () => {
    expect(shardFromEnv('JOB_COMPLETION_INDEX/4', { JOB_COMPLETION_INDEX: '2' })).toEqual({ index: 2, count: 4 });
    expect(shardFromEnv('SLURM_ARRAY_TASK_ID/8', { SLURM_ARRAY_TASK_ID: '7' })).toEqual({ index: 7, count: 8 });
    expect(shardFromEnv('AWS_BATCH_JOB_ARRAY_INDEX/2', { AWS_BATCH_JOB_ARRAY_INDEX: '0' })).toEqual({ index: 0, count: 2 });
    expect(() => shardFromEnv('JOB_COMPLETION_INDEX/4', {})).toThrow(/JOB_COMPLETION_INDEX is not set/);
    expect(() => shardFromEnv('SLURM_ARRAY_TASK_ID/4', { SLURM_ARRAY_TASK_ID: '4' })).toThrow(/SLURM_ARRAY_TASK_ID=4/);
    expect(() => shardFromEnv('4', {})).toThrow(/VAR\/N/);
  });

  it('refuses conflicting flags', async () => {
    await expect(shardOptions({ shard: '0/2', shardFromEnv: 'X/2' }, { X: '1' })).rejects.toThrow(/not both/);
    await expect(shardOptions({ rangePass: true, ranges: 'r.bin' })).rejects.toThrow(/--range-pass/);
    expect(await shardOptions({ shardFromEnv: 'X/2', rangePass: true }, { X: '1' })).toEqual({ shard: { index: 1, count: 2 }, rangePass: true });
    expect(await shardOptions({})).toEqual({});
  });
});
