/** The quantize summary says when nothing or little was quantized (warning line, `coverage` in --json); method flags. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, testdataPath } from '@lowbit/testing';

const root = repoRoot();
const bin = join(root, 'packages', 'cli', 'dist', 'bin.js');
const mnist = testdataPath('models', 'mnist-8.onnx');
const images = testdataPath('mnist', 'train-10k-images-idx3-ubyte.gz');
const tmp = mkdtempSync(join(tmpdir(), 'lowbit-cli-fidelity-'));

function lowbit(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, CI: 'true' }, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', join(root, 'packages', 'cli')], { stdio: 'inherit' });
}, 300_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('lowbit quantize coverage and method flags', () => {
  it('nothing quantized: exit 0 with a warning line saying so; --json carries coverage.warnings', () => {
    const r = lowbit('quantize', mnist, '-o', join(tmp, 'none.onnx'), '--calib', images, '--calib-count', '4', '--op-types', 'Add');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/quantized: none/);
    expect(r.stdout).toMatch(/warning: nothing was quantized: none of the 3 compute nodes/);
    const j = lowbit('quantize', mnist, '-o', join(tmp, 'none2.onnx'), '--calib', images, '--calib-count', '4', '--op-types', 'Add', '--json');
    const s = JSON.parse(j.stdout);
    expect(s.coverage.quantizedCompute).toBe(0);
    expect(s.coverage.warnings[0]).toMatch(/nothing was quantized/);
  });

  it('fully quantized: no warning; entropy flags reach the recipe', () => {
    const r = lowbit('quantize', mnist, '-o', join(tmp, 'e.onnx'), '--calib', images, '--calib-count', '8', '--method', 'entropy', '--bins', '1024', '--levels', '128', '--histogram', 'abs', '--json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.coverage.warnings).toEqual([]);
    expect(s.options.calibration).toEqual({ bins: 1024, levels: 128, histogram: 'abs' });
    const rec = JSON.parse(lowbit('quantize', mnist, '-o', join(tmp, 'c.onnx'), '--calib', images, '--calib-count', '4', '--cle', '--smooth-quant', '0.6', '--no-keep-sensitive', '--lstm', 'float', '--json').stdout);
    expect(rec.options).toMatchObject({ crossLayerEqualization: true, smoothQuant: 0.6, keepSensitiveFloat: false, lstm: 'float' });
    // --smooth-quant without an alpha (or with "search") searches alpha per MatMul
    for (const flag of [['--smooth-quant'], ['--smooth-quant', 'search']]) {
      const sq = JSON.parse(lowbit('quantize', mnist, '-o', join(tmp, `s${flag.length}.onnx`), '--calib', images, '--calib-count', '4', ...flag, '--json').stdout);
      expect(sq.options.smoothQuant).toBe(flag.length === 1 ? true : 'search');
    }
    const badAlpha = lowbit('quantize', mnist, '-o', join(tmp, 'b.onnx'), '--calib', images, '--smooth-quant', '1.5');
    expect(badAlpha.code).not.toBe(0);
    expect(badAlpha.stderr).toMatch(/alpha in \[0, 1\] or "search", got "1.5"/);
    const bad = lowbit('quantize', mnist, '-o', join(tmp, 'd.onnx'), '--mode', 'dynamic', '--bins', '1024');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--bins applies to --mode static only/);
  });

  it('compare --sensitivity: one row per compute layer, most sensitive first, and an SVG with one point per layer', () => {
    const q = join(tmp, 'q.onnx');
    expect(lowbit('quantize', mnist, '-o', q, '--calib', images, '--calib-count', '4', '--per-channel').code).toBe(0);
    const svg = join(tmp, 'sens.svg');
    const r = lowbit('compare', mnist, q, '--calib', images, '--calib-count', '4', '--sensitivity', '--svg', svg);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => /^\s{2}\S+\s+(Conv|MatMul|Gemm)\s+(-?[\d.]+|inf|-inf)$/.test(l));
    expect(rows.length).toBe(3);
    const dbs = rows.map((l) => Number(l.trim().split(/\s+/).pop()));
    expect([...dbs].sort((a, b) => a - b)).toEqual(dbs);
    expect(readFileSync(svg, 'utf8').match(/<circle class="point/g)?.length).toBe(3);
    const j = JSON.parse(lowbit('compare', mnist, q, '--calib', images, '--calib-count', '4', '--sensitivity', '--json').stdout);
    expect(j.layers).toHaveLength(3);
  }, 120_000);

  it('an already quantized input: exit 3 with one line saying what was found (no stack); --allow-quantized-input lets it through', () => {
    const q = join(tmp, 'dyn.onnx');
    expect(lowbit('quantize', mnist, '-o', q, '--mode', 'dynamic').code).toBe(0);
    const r = lowbit('quantize', q, '-o', join(tmp, 'dyn2.onnx'), '--mode', 'dynamic');
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/already quantized \(2 ConvInteger, 3 DynamicQuantizeLinear, 1 MatMulInteger; first: node .*--allow-quantized-input/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const ok = lowbit('quantize', q, '-o', join(tmp, 'dyn3.onnx'), '--mode', 'dynamic', '--allow-quantized-input', '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).options.allowQuantizedInput).toBe(true);
  });
});
