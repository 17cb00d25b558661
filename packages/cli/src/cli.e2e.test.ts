import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, testdataPath } from '@lowbit/testing';

// These tests run the built `lowbit` binary as a user would: a subprocess, its stdout/stderr and its exit code.
const root = repoRoot();
const bin = join(root, 'packages', 'cli', 'dist', 'bin.js');
const mnist = testdataPath('models', 'mnist-8.onnx');
const trainImages = testdataPath('mnist', 'train-10k-images-idx3-ubyte.gz');
const relu = testdataPath('onnx-node', 'test_relu');
const tmp = mkdtempSync(join(tmpdir(), 'lowbit-cli-e2e-'));

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function lowbit(...args: string[]): Result {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, CI: 'true' }, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json(r: Result): Record<string, any> {
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

/** A user error is one line on stderr: no stack trace. */
function oneLineError(r: Result, code: number): void {
  expect(r.code).toBe(code);
  const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('(run with --help'));
  expect(lines.length).toBeGreaterThanOrEqual(1);
  expect(lines.length).toBeLessThanOrEqual(2);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

beforeAll(() => {
  // Build the CLI and everything it depends on (incremental: a no-op when dist is fresh).
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', join(root, 'packages', 'cli')], { stdio: 'inherit' });
}, 300_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('lowbit (built CLI, subprocess)', () => {
  it('prints help and version with exit 0', () => {
    const help = lowbit('--help');
    expect(help.code).toBe(0);
    for (const c of ['quantize', 'inspect', 'run', 'compare', 'bench', 'calibrate']) expect(help.stdout).toContain(c);
    const v = lowbit('--version');
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('inspects mnist-8 (JSON): opsets, inputs, ops, parameters, float, supported by both runtimes', () => {
    const r = json(lowbit('inspect', mnist, '--json'));
    expect(r.opsets).toEqual([{ domain: 'ai.onnx', version: 8 }]);
    expect(r.inputs).toEqual([{ name: 'Input3', dtype: 'float32', dims: [1, 1, 28, 28] }]);
    expect(r.ops.Conv).toBe(2);
    expect(r.ops.MaxPool).toBe(2);
    // mnist-8 has 5,994 float parameters (8*1*5*5 + 8 + 16*8*5*5 + 16 + 256*10 + 10, plus the shape constants).
    expect(r.parameters.byDtype.float32.count).toBeGreaterThanOrEqual(5994);
    expect(r.quantization.quantized).toBe(false);
    expect(r.support.lowbit.unsupported).toEqual([]);
    expect(r.support.onnxruntime.loads).toBe(true);
  });

  it('inspects a node test case as text', () => {
    const r = lowbit('inspect', join(relu, 'model.onnx'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Relu 1/);
    expect(r.stdout).toMatch(/quantization: none/);
  });

  it('quantizes mnist-8 static QDQ per-channel from the MNIST IDX file, and inspect sees the result', () => {
    const out = join(tmp, 'mnist-static.onnx');
    const r = json(lowbit('quantize', mnist, '-o', out, '--mode', 'static', '--calib', trainImages, '--calib-count', '10', '--per-channel', '--json'));
    expect(r.mode).toBe('static');
    // Both Convs and the final MatMul compute on dequantized int8 weights.
    expect(r.nodesQuantized.Conv).toBe(2);
    expect(r.nodesQuantized.MatMul ?? r.nodesQuantized.Gemm).toBe(1);
    expect(r.bytesAfter).toBeLessThan(r.bytesBefore);
    expect(existsSync(out)).toBe(true);
    const i = json(lowbit('inspect', out, '--json'));
    expect(i.quantization.formats).toContain('qdq');
    expect(i.quantization.weightGranularity).toBe('per-channel');
    expect(i.support.onnxruntime.loads).toBe(true);
    expect(i.support.lowbit.unsupported).toEqual([]);
  });

  it('quantizes dynamic and weight-only, and QOperator with reduce-range gives 7-bit weights', () => {
    const dyn = json(lowbit('quantize', mnist, '-o', join(tmp, 'dyn.onnx'), '--mode', 'dynamic', '--json'));
    expect(dyn.mode).toBe('dynamic');
    expect(dyn.nodesQuantized.MatMulInteger).toBe(1);
    const wo = json(lowbit('quantize', mnist, '-o', join(tmp, 'wo.onnx'), '--mode', 'weight-only', '--weight-type', 's8', '--block-size', '32', '--json'));
    expect(wo.mode).toBe('weight-only');
    const qop = join(tmp, 'qop.onnx');
    json(lowbit('quantize', mnist, '-o', qop, '--format', 'qoperator', '--reduce-range', '--calib', trainImages, '--calib-count', '5', '--json'));
    const i = json(lowbit('inspect', qop, '--json'));
    expect(i.quantization.formats).toContain('qoperator');
    expect(i.quantization.weights7bit).toBe(true);
  });

  it('calibrates once and quantizes from the saved statistics', () => {
    const stats = join(tmp, 'stats.bin');
    const c = json(lowbit('calibrate', mnist, '--calib', trainImages, '--calib-count', '8', '-o', stats, '--json'));
    expect(c.samples).toBe(8);
    expect(existsSync(stats)).toBe(true);
    const r = json(lowbit('quantize', mnist, '-o', join(tmp, 'from-stats.onnx'), '--stats', stats, '--json'));
    expect(r.mode).toBe('static');
  });

  it('compares the quantized model with the float one (JSON and SVG)', () => {
    const quant = join(tmp, 'cmp-static.onnx');
    json(lowbit('quantize', mnist, '-o', quant, '--calib', trainImages, '--calib-count', '10', '--json'));
    const svg = join(tmp, 'layers.svg');
    const r = json(lowbit('compare', mnist, quant, '--calib', testdataPath('mnist', 't10k-images-idx3-ubyte.gz'), '--calib-count', '10', '--svg', svg, '--json'));
    expect(r.samples).toBe(10);
    expect(r.outputs[0].sqnrDb).toBeGreaterThan(20);
    expect(r.outputs[0].top1.rate).toBeGreaterThanOrEqual(0.9);
    expect(r.layers.length).toBeGreaterThan(3);
    const plot = readFileSync(svg, 'utf8');
    expect(plot.startsWith('<svg') || plot.startsWith('<?xml')).toBe(true);
    expect(plot.match(/<circle/g)?.length).toBe(r.layers.length);
    // Models with different inputs are refused with a one-line usage error.
    oneLineError(lowbit('compare', mnist, join(relu, 'model.onnx'), '--calib', trainImages, '--calib-count', '1'), 2);
  });

  it('runs a node test case and compares with its expected outputs', () => {
    const set = join(relu, 'test_data_set_0');
    const r = json(lowbit('run', join(relu, 'model.onnx'), '--inputs', set, '--expect', set, '--json'));
    expect(r.match).toBe(true);
    expect(['js', 'wasm', 'native']).toContain(r.backend);
    expect(r.isas).toContain('scalar');
    const text = lowbit('run', join(relu, 'model.onnx'), '--inputs', set, '--backend', 'js', '--threads', '3');
    expect(text.stdout).toMatch(/model\.onnx: ran in [\d.]+ ms on js \(scalar; 1 thread\)/);
    expect(r.outputs[0].dims).toEqual([3, 4, 5]);
    // Expected outputs of another op with the same shape must not match: exit 1 and a MISMATCH line.
    const other = testdataPath('onnx-node', 'test_sigmoid', 'test_data_set_0');
    const bad = lowbit('run', join(relu, 'model.onnx'), '--inputs', set, '--expect', other);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/MISMATCH/);
  });

  it('writes outputs as output_N.pb that `run --expect` accepts', () => {
    const dir = join(tmp, 'relu-out');
    expect(lowbit('run', join(relu, 'model.onnx'), '--inputs', join(relu, 'test_data_set_0'), '-o', dir).code).toBe(0);
    expect(readdirSync(dir)).toEqual(['output_0.pb']);
    const again = json(lowbit('run', join(relu, 'model.onnx'), '--inputs', join(relu, 'test_data_set_0'), '--expect', dir, '--json'));
    expect(again.match).toBe(true);
  });

  it('benchmarks mnist-8 and reports the backend it really ran on', () => {
    const r = json(lowbit('bench', mnist, '--iterations', '3', '--warmup', '1', '--json'));
    expect(r.iterations).toBe(3);
    expect(r.p50Ms).toBeGreaterThan(0);
    expect(r.minMs).toBeLessThanOrEqual(r.p99Ms);
    expect(r.requested).toBe('auto');
    expect(['js', 'wasm', 'native']).toContain(r.backend);
    expect(r.isas).toContain('scalar');
    expect(r.threads).toBeGreaterThanOrEqual(1);
    const js = json(lowbit('bench', mnist, '--iterations', '1', '--warmup', '1', '--backend', 'js', '--threads', '2', '--json'));
    expect([js.requested, js.backend, js.isas, js.threads]).toEqual(['js', 'js', ['scalar'], 1]);
    const text = lowbit('bench', mnist, '--iterations', '1', '--warmup', '1', '--backend', 'js');
    expect(text.stdout).toMatch(/mnist-8\.onnx on js \(scalar; 1 thread\), 1 runs: mean/);
  });

  it('run and bench: --backend wasm|native either runs on it or is a one-line usage error saying why; bad --threads is a usage error', () => {
    const set = join(relu, 'test_data_set_0');
    for (const b of ['wasm', 'native']) {
      const r = lowbit('run', join(relu, 'model.onnx'), '--inputs', set, '--backend', b, '--json');
      if (r.code === 0) expect(JSON.parse(r.stdout).backend).toBe(b);
      else {
        oneLineError(r, 2);
        expect(r.stderr).toMatch(new RegExp(`backend "${b}" is not available`));
      }
    }
    oneLineError(lowbit('bench', mnist, '--threads', '0'), 2);
    oneLineError(lowbit('run', join(relu, 'model.onnx'), '--inputs', set, '--threads', 'many'), 2);
    oneLineError(lowbit('run', join(relu, 'model.onnx'), '--inputs', set, '--backend', 'gpu'), 2);
  });

  it('bad arguments are usage errors (exit 2), one line, no stack', () => {
    oneLineError(lowbit('quantize', mnist), 2); // missing -o
    oneLineError(lowbit('quantize', mnist, '-o', join(tmp, 'x.onnx'), '--mode', 'sideways'), 2);
    oneLineError(lowbit('quantize', mnist, '-o', join(tmp, 'x.onnx'), '--calib-count', '-3'), 2);
    oneLineError(lowbit('frobnicate'), 2);
    oneLineError(lowbit('quantize', mnist, '-o', join(tmp, 'x.onnx'), '--mode', 'static'), 2); // no --calib
    oneLineError(lowbit('quantize', mnist, '-o', join(tmp, 'x.onnx'), '--mode', 'dynamic', '--block-size', '32'), 2);
    expect(existsSync(join(tmp, 'x.onnx'))).toBe(false);
  });

  it('a corrupt or missing model is exit 3 / 2 with one line, and no output is left behind', () => {
    const bad = join(tmp, 'corrupt.onnx');
    writeFileSync(bad, Buffer.from('this is not an onnx model at all'));
    oneLineError(lowbit('inspect', bad), 3);
    const out = join(tmp, 'never.onnx');
    oneLineError(lowbit('quantize', bad, '-o', out, '--mode', 'dynamic'), 3);
    oneLineError(lowbit('inspect', join(tmp, 'missing.onnx')), 2);
    // Calibration data that does not fit the model fails before anything is written.
    oneLineError(lowbit('quantize', mnist, '-o', out, '--calib', join(relu, 'test_data_set_0')), 2);
    expect(readdirSync(tmp).filter((f) => f.startsWith('never'))).toEqual([]);
  });

  it('--verbose adds the stack trace', () => {
    const r = lowbit('inspect', join(tmp, 'missing.onnx'), '--verbose');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\n\s+at /);
  });
});
