/**
 * Issue 18 "must show", as separate local processes of the built `lowbit` (the steps of
 * docs/distributed-calibration.md, an array job's shards run as child processes): for minmax, percentile, entropy and
 * mse on mnist-8 (the first 14 images of train-10k-images-idx3-ubyte.gz), 4 shard processes (range pass, merge,
 * statistics pass, merge) give the bytes of one `lowbit calibrate` process, and `quantize --stats` of the merged file
 * writes the same model as with the single-process file. Shards get K from --shard and from the engines' index
 * variables (JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID, AWS_BATCH_JOB_ARRAY_INDEX).
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, testdataPath } from '@lowbit/testing';

const run = promisify(execFile);
const root = repoRoot();
const bin = join(root, 'packages', 'cli', 'dist', 'bin.js');
const mnist = testdataPath('models', 'mnist-8.onnx');
const images = testdataPath('mnist', 'train-10k-images-idx3-ubyte.gz');
const tmp = mkdtempSync(join(tmpdir(), 'lowbit-shards-'));
const N = 4;
const COUNT = '14';

async function lowbit(args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await run(process.execPath, [bin, ...args], { env: { ...process.env, CI: 'true', ...env }, timeout: 120_000 });
  return r.stdout;
}
const bytes = (p: string) => readFileSync(p);
const ENGINES = ['JOB_COMPLETION_INDEX', 'SLURM_ARRAY_TASK_ID', 'AWS_BATCH_JOB_ARRAY_INDEX'];

/** Shard K's flags: --shard K/N for shard 0, an engine's index variable for the others. */
function shardArgs(k: number): { args: string[]; env: Record<string, string> } {
  if (k === 0) return { args: ['--shard', `0/${N}`], env: {} };
  const v = ENGINES[(k - 1) % ENGINES.length];
  return { args: ['--shard-from-env', `${v}/${N}`], env: { [v]: String(k) } };
}

beforeAll(() => {
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', join(root, 'packages', 'cli')], { stdio: 'inherit' });
}, 300_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('distributed calibration as separate lowbit processes', () => {
  for (const method of ['minmax', 'percentile', 'entropy', 'mse']) {
    it(`${method}: 4 shard processes + merge-stats equal one process, byte for byte`, async () => {
      const d = join(tmp, method);
      const base = ['calibrate', mnist, '--calib', images, '--calib-count', COUNT, '--method', method];
      const single = join(d + '-single.bin');
      const singleRun = lowbit([...base, '-o', single]);
      const ks = Array.from({ length: N }, (_, k) => k);
      // Step 1 (histogram methods; harmless for minmax): range pass per shard, then merge.
      await Promise.all(ks.map((k) => { const s = shardArgs(k); return lowbit([...base, ...s.args, '--range-pass', '-o', `${d}-ranges-${k}.bin`], s.env); }));
      await lowbit(['merge-stats', ...ks.map((k) => `${d}-ranges-${k}.bin`).reverse(), '-o', `${d}-ranges.bin`]);
      // Step 2: statistics pass per shard with the merged ranges, then merge (in a scrambled order).
      const outs = await Promise.all(ks.map((k) => { const s = shardArgs(k); return lowbit([...base, ...s.args, '--ranges', `${d}-ranges.bin`, '--json', '-o', `${d}-stats-${k}.bin`], s.env); }));
      expect(outs.map((o) => JSON.parse(o).shard)).toEqual(ks.map((k) => `${k}/${N}`));
      expect(outs.map((o) => JSON.parse(o).samples)).toEqual([4, 4, 3, 3]);
      const merged = JSON.parse(await lowbit(['merge-stats', `${d}-stats-2.bin`, `${d}-stats-0.bin`, `${d}-stats-3.bin`, `${d}-stats-1.bin`, '-o', `${d}-stats.bin`, '--json']));
      expect(merged).toMatchObject({ method, stage: 'statistics', batches: 14, shard: null });
      await singleRun;
      expect(bytes(`${d}-stats.bin`).equals(bytes(single))).toBe(true);
      // Final step: quantize from the merged statistics = quantize from the single-process statistics.
      await Promise.all([
        lowbit(['quantize', mnist, '--mode', 'static', '--stats', `${d}-stats.bin`, '-o', `${d}-sharded.onnx`]),
        lowbit(['quantize', mnist, '--mode', 'static', '--stats', single, '-o', `${d}-single.onnx`]),
      ]);
      expect(bytes(`${d}-sharded.onnx`).equals(bytes(`${d}-single.onnx`))).toBe(true);
    }, 600_000);
  }

  it('refuses a partial merge used for quantize, files of another method, and a bad shard index (one-line usage errors)', async () => {
    const d = join(tmp, 'errors');
    const base = ['calibrate', mnist, '--calib', images, '--calib-count', '8'];
    await Promise.all([
      lowbit([...base, '--shard', '0/2', '-o', `${d}-a.bin`]),
      lowbit([...base, '--method', 'meanstd', '--shard', '1/2', '-o', `${d}-b.bin`]),
    ]);
    const mixed = await lowbit(['merge-stats', `${d}-a.bin`, `${d}-b.bin`, '-o', `${d}-m.bin`]).catch((e: { code: number; stderr: string }) => e);
    expect((mixed as { code: number }).code).toBe(2);
    expect((mixed as { stderr: string }).stderr).toMatch(/field "method"/);
    expect((mixed as { stderr: string }).stderr).not.toMatch(/\n\s+at /);
    const partial = await lowbit(['quantize', mnist, '--mode', 'static', '--stats', `${d}-a.bin`, '-o', `${d}-q.onnx`]).catch((e: { code: number; stderr: string }) => e);
    expect((partial as { code: number }).code).toBe(2);
    expect((partial as { stderr: string }).stderr).toMatch(/shard\.indices.*missing 1|missing 1.*shard\.indices/);
    const badEnv = await lowbit([...base, '--shard-from-env', 'JOB_COMPLETION_INDEX/2', '-o', `${d}-c.bin`], { JOB_COMPLETION_INDEX: '2' }).catch((e: { code: number; stderr: string }) => e);
    expect((badEnv as { code: number }).code).toBe(2);
    expect((badEnv as { stderr: string }).stderr).toMatch(/JOB_COMPLETION_INDEX=2/);
    const unset = await lowbit([...base, '--shard-from-env', 'SLURM_ARRAY_TASK_ID/2', '-o', `${d}-c.bin`], { SLURM_ARRAY_TASK_ID: '' }).catch((e: { code: number; stderr: string }) => e);
    expect((unset as { stderr: string }).stderr).toMatch(/SLURM_ARRAY_TASK_ID is not set/);
  }, 120_000);
});
