import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataType, encodeModel, type Model, type Node, type TensorRef } from '@lowbit/onnx-ir';
import { repoRoot } from '@lowbit/testing';

// The CLI killed with SIGKILL at any moment of a quantization (loading, rewriting, writing the output) leaves no
// partial output (no file, or the whole one when the kill came after the rename) and an untouched input; what a kill during the save leaves is only hidden temporary files of our
// recognisable pattern, which the next save removes once they are stale.
const root = repoRoot();
const bin = join(root, 'packages', 'cli', 'dist', 'bin.js');
const tmp = mkdtempSync(join(tmpdir(), 'lowbit-sigkill-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const WIDTH = 1024;
const LAYERS = 16; // 16 x 4 MiB of float weights

/** x[1,1024] -> MatMul -> Relu -> ... : a 64 MiB float model, deterministic weights. */
function bigModel(): Model {
  const nodes: Node[] = [];
  const inits: TensorRef[] = [];
  let x = 'x';
  for (let l = 0; l < LAYERS; l++) {
    const w = new Float32Array(WIDTH * WIDTH);
    for (let i = 0; i < w.length; i++) w[i] = (((i * 7919 + l * 104729) % 2001) - 1000) / 1000;
    inits.push({ kind: 'inline', name: `w${l}`, dtype: DataType.FLOAT, dims: [WIDTH, WIDTH], data: new Uint8Array(w.buffer), encoding: 'raw' });
    nodes.push({ id: `m${l}`, name: `mm${l}`, opType: 'MatMul', domain: '', inputs: [x, `w${l}`], outputs: [`h${l}`], attributes: [] });
    nodes.push({ id: `r${l}`, name: `relu${l}`, opType: 'Relu', domain: '', inputs: [`h${l}`], outputs: [`y${l}`], attributes: [] });
    x = `y${l}`;
  }
  const vi = (name: string) => ({ name, type: { kind: 'tensor' as const, elemType: DataType.FLOAT, shape: [1, WIDTH] } });
  return {
    irVersion: 8, opsetImports: [{ domain: '', version: 17 }], functions: [], metadataProps: [],
    graph: { name: 'big', inputs: [vi('x')], outputs: [vi(x)], initializers: inits, sparseInitializers: [], nodes, valueInfo: [] },
  };
}

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const input = join(tmp, 'big.onnx');
const args = (out: string) => [bin, 'quantize', input, '-o', out, '--mode', 'dynamic', '--json'];

/** Starts a quantization and SIGKILLs it after `ms`, or as soon as its temporary output file appears when `ms` < 0. */
function killDuring(out: string, ms: number): Promise<{ killed: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args(out), { stdio: 'ignore', env: { ...process.env, CI: 'true' } });
    let exited = false;
    child.on('exit', (_code, signal) => {
      exited = true;
      clearInterval(poll);
      clearTimeout(timer);
      resolve({ killed: signal === 'SIGKILL' });
    });
    const kill = () => { if (!exited) child.kill('SIGKILL'); };
    const poll = setInterval(() => {
      if (ms < 0 && readdirSync(tmp).some((f) => f.includes('.lowbit-') && f.endsWith('.tmp'))) kill();
    }, 1);
    const timer = setTimeout(kill, ms < 0 ? 120_000 : ms);
  });
}

beforeAll(() => {
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', join(root, 'packages', 'cli')], { stdio: 'inherit' });
  writeFileSync(input, encodeModel(bigModel()));
}, 300_000);

describe('lowbit quantize killed with SIGKILL', () => {
  it('leaves no partial output and an untouched input, wherever it is killed', async () => {
    const before = sha(input);
    // How long a whole run takes here, so the kills land inside it.
    const t0 = performance.now();
    const full = spawnSync(process.execPath, args(join(tmp, 'full.onnx')), { encoding: 'utf8', env: { ...process.env, CI: 'true' } });
    const fullMs = performance.now() - t0;
    expect(full.stderr).toBe('');
    expect(full.status).toBe(0);
    let kills = 0;
    for (const [i, at] of [0.15, 0.4, 0.65, 0.9, -1].entries()) {
      const out = join(tmp, `out${i}.onnx`);
      const r = await killDuring(out, at < 0 ? -1 : Math.round(at * fullMs));
      if (r.killed) kills++;
      // No output, or the whole output (a kill after the rename, while the summary was printed): never a part of it.
      // Quantization is deterministic, so "whole" is "byte-identical to the uninterrupted run".
      if (existsSync(out)) expect(sha(out), `kill ${i} left a partial ${out}`).toBe(sha(join(tmp, 'full.onnx')));
      expect(sha(input)).toBe(before);
      // Only hidden temporaries of our own pattern may remain (from a kill during the save), never the output name.
      for (const f of readdirSync(tmp)) expect(f).toMatch(/^(big|full|out\d)\.onnx$|^\.out\d\.onnx\.lowbit-[0-9a-f]{12}\.tmp$/);
    }
    expect(kills).toBeGreaterThanOrEqual(3);
  }, 300_000);
});
