import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGzip, gzipSync } from 'node:zlib';
import { createWriteStream } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataType, encodeModel, type Model, type Node, type TensorRef } from '@lowbit/onnx-ir';
import { repoRoot, testdataPath } from '@lowbit/testing';

// Each case is a defect reproduced by attacking the built CLI as a hostile user would (issue 15); each was seen
// failing (exit 0 with a bad output, a crash, a hang or an out-of-memory abort) before the fix.
const root = repoRoot();
const bin = join(root, 'packages', 'cli', 'dist', 'bin.js');
const mnist = testdataPath('models', 'mnist-8.onnx');
const tmp = mkdtempSync(join(tmpdir(), 'lowbit-hostile-cli-'));

interface Result { code: number | null; stdout: string; stderr: string; ms: number }
function lowbit(...args: string[]): Result {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--max-old-space-size=512', bin, ...args], { encoding: 'utf8', env: { ...process.env, CI: 'true' }, timeout: 60_000, cwd: tmp });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - t0 };
}
/** A typed user-facing failure: the exit code, one line, no stack trace, the message asked for. */
function refused(r: Result, code: number, message: RegExp): void {
  expect(r.stderr).toMatch(message);
  expect(r.code).toBe(code);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr.trim().split('\n').length).toBe(1);
}

const vi = (name: string, shape: number[]) => ({ name, type: { kind: 'tensor' as const, elemType: DataType.FLOAT, shape } });
const f32 = (name: string, dims: number[], n: number): TensorRef => ({ kind: 'inline', name, dtype: DataType.FLOAT, dims, data: new Uint8Array(n * 4), encoding: 'raw' });
function matmulModel(w: TensorRef, nodes: Node[] = [{ id: 'mm', name: 'mm', opType: 'MatMul', domain: '', inputs: ['x', 'w'], outputs: ['y'], attributes: [] }]): Model {
  return {
    irVersion: 8, opsetImports: [{ domain: '', version: 17 }], functions: [], metadataProps: [],
    graph: { name: 'g', inputs: [vi('x', [1, 4])], outputs: [vi('y', [1, 4])], initializers: [w], sparseInitializers: [], nodes, valueInfo: [] },
  };
}
function save(name: string, m: Model): string {
  const p = join(tmp, name);
  writeFileSync(p, encodeModel(m));
  return p;
}

beforeAll(() => {
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', join(root, 'packages', 'cli')], { stdio: 'inherit' });
}, 300_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('lowbit quantize refuses defective input models (exit 3, naming the defect, no output)', () => {
  it.each([
    ['short data', () => matmulModel(f32('w', [4, 4], 3)), /initializer\[0\] "w": 12 bytes of data, dims \[4, 4\] of float32 need 64 bytes/],
    ['long data', () => matmulModel(f32('w', [4, 4], 40)), /"w": 160 bytes of data/],
    ['dtype 999', () => matmulModel({ ...f32('w', [4, 4], 16), dtype: 999 as DataType }), /"w": unknown data type 999/],
    ['dims [-4,-4]', () => matmulModel(f32('w', [-4, -4], 16)), /"w": dims \[-4, -4\] are invalid/],
    ['Concat with no inputs', () => matmulModel(f32('w', [4, 4], 16), [{ id: 'c', name: 'c', opType: 'Concat', domain: '', inputs: [], outputs: ['y'], attributes: [{ name: 'axis', type: 'int', value: 0n }] }]), /node "c" \(Concat\): has 0 input\(s\), expected at least 1/],
    ['Conv with a 1-D weight', () => matmulModel(f32('w', [4], 4), [{ id: 'c', name: 'c', opType: 'Conv', domain: '', inputs: ['x', 'w'], outputs: ['y'], attributes: [] }]), /node "c" \(Conv\): input\[1\] "w" \(the weight\) has dims \[4\], expected rank >= 3/],
    ['an output redefining a graph input', () => matmulModel(f32('w', [4, 4], 16), [{ id: 'mm', name: 'mm', opType: 'MatMul', domain: '', inputs: ['x', 'w'], outputs: ['x'], attributes: [] }]), /invalid graph: .*value "x" is defined more than once/],
    ['a missing input', () => matmulModel(f32('w', [4, 4], 16), [{ id: 'mm', name: 'mm', opType: 'MatMul', domain: '', inputs: ['x', 'nope'], outputs: ['y'], attributes: [] }]), /invalid graph: .*input\[1\] "nope" is not defined/],
    ['a cycle', () => matmulModel(f32('w', [4, 4], 16), [
      { id: 'a', name: 'a', opType: 'MatMul', domain: '', inputs: ['x', 'z'], outputs: ['y'], attributes: [] },
      { id: 'b', name: 'b', opType: 'Add', domain: '', inputs: ['y', 'x'], outputs: ['z'], attributes: [] },
    ]), /the graph has a cycle/],
  ])('%s', (name, make, message) => {
    const input = save(`${name.replace(/\W+/g, '_')}.onnx`, make());
    const out = join(tmp, `${name.replace(/\W+/g, '_')}-q.onnx`);
    const r = lowbit('quantize', input, '-o', out, '--mode', 'dynamic');
    refused(r, 3, message);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses /dev/zero and a named pipe as a model or --calib, at once', () => {
    const fifo = join(tmp, 'pipe.onnx');
    execFileSync('mkfifo', [fifo]);
    const ok = save('ok.onnx', matmulModel(f32('w', [4, 4], 16)));
    for (const model of ['/dev/zero', fifo]) refused(lowbit('quantize', model, '-o', join(tmp, 'z.onnx'), '--mode', 'dynamic'), 3, /is not a regular file/);
    for (const calib of ['/dev/zero', fifo]) {
      const r = lowbit('quantize', ok, '-o', join(tmp, 'z.onnx'), '--calib', calib);
      refused(r, 2, /not a regular file/);
      expect(r.ms).toBeLessThan(20_000);
    }
    expect(existsSync(join(tmp, 'z.onnx'))).toBe(false);
  });
});

describe('lowbit never loses or replaces the user\'s files by mistake', () => {
  it('-o equal to the input is refused unless --overwrite (quantize and calibrate)', () => {
    const m = join(tmp, 'same.onnx');
    copyFileSync(mnist, m);
    const before = readFileSync(m);
    refused(lowbit('quantize', m, '-o', `./same.onnx`, '--mode', 'dynamic'), 2, /is the input file .*pass --overwrite/);
    refused(lowbit('calibrate', m, '--calib', testdataPath('mnist', 'train-10k-images-idx3-ubyte.gz'), '--calib-count', '2', '-o', m), 2, /is the input file/);
    expect(readFileSync(m).equals(before)).toBe(true);
    expect(lowbit('quantize', m, '-o', m, '--mode', 'dynamic', '--overwrite').code).toBe(0);
    expect(readFileSync(m).equals(before)).toBe(false);
  });

  it('run -o naming an existing file keeps the file; a special file at the output is never replaced', () => {
    const relu = testdataPath('onnx-node', 'test_relu');
    const file = join(tmp, 'keep.txt');
    writeFileSync(file, 'precious');
    refused(lowbit('run', join(relu, 'model.onnx'), '--inputs', join(relu, 'test_data_set_0'), '-o', file), 2, /exists and is a regular file, not a folder/);
    expect(readFileSync(file, 'utf8')).toBe('precious');
    refused(lowbit('quantize', mnist, '-o', '/dev/null', '--mode', 'dynamic'), 2, /exists and is not a regular file/);
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
  });
});

describe('lowbit calibration data is bounded and checked', () => {
  it('a gzip IDX bomb is streamed and stops at --calib-count (no heap blow-up)', async () => {
    // dims [1000000, 28, 28]: 784 MB of zeros behind ~0.8 MB of gzip; the child has a 512 MB heap.
    const bomb = join(tmp, 'bomb-idx3-ubyte.gz');
    const head = Buffer.alloc(16);
    head.set([0, 0, 8, 3]);
    head.writeUInt32BE(1_000_000, 4);
    head.writeUInt32BE(28, 8);
    head.writeUInt32BE(28, 12);
    const gz = createGzip({ level: 9 });
    const out = createWriteStream(bomb);
    gz.pipe(out);
    gz.write(head);
    const chunk = Buffer.alloc(784 * 1000);
    for (let i = 0; i < 1000; i++) gz.write(chunk);
    gz.end();
    await new Promise<void>((r) => out.on('close', () => r()));
    const r = lowbit('quantize', mnist, '-o', join(tmp, 'bomb-q.onnx'), '--calib', bomb, '--calib-count', '5', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  }, 60_000);

  it('corrupt gzip, bad .npy shapes, --std 0 and all-NaN data are typed errors, not silent models', () => {
    const corrupt = gzipSync(Buffer.concat([Buffer.from([0, 0, 8, 1, 0, 0, 0, 64]), Buffer.alloc(64)]));
    corrupt[corrupt.length - 12] ^= 0xff;
    writeFileSync(join(tmp, 'corrupt.gz'), corrupt);
    refused(lowbit('quantize', mnist, '-o', join(tmp, 'c.onnx'), '--calib', join(tmp, 'corrupt.gz')), 2, /corrupt\.gz: corrupt or truncated gzip data/);
    const npy = (shape: string, body: Buffer) => {
      const h = Buffer.from(`{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`.padEnd(117) + '\n', 'latin1');
      return Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length, 0]), h, body]);
    };
    for (const shape of ['(-4, 1, 28, 28)', '(nan, 28)', '(1.5, 28)']) {
      writeFileSync(join(tmp, 'bad.npy'), npy(shape, Buffer.alloc(64)));
      refused(lowbit('quantize', mnist, '-o', join(tmp, 'c.onnx'), '--calib', join(tmp, 'bad.npy')), 2, /\.npy shape .* is invalid/);
    }
    refused(lowbit('quantize', mnist, '-o', join(tmp, 'c.onnx'), '--calib', testdataPath('mnist', 'train-10k-images-idx3-ubyte.gz'), '--calib-count', '2', '--std', '0'), 2, /--std must not contain 0/);
    writeFileSync(join(tmp, 'nan.npy'), npy('(2, 1, 28, 28)', Buffer.from(new Float32Array(2 * 784).fill(Number.NaN).buffer)));
    refused(lowbit('quantize', mnist, '-o', join(tmp, 'c.onnx'), '--calib', join(tmp, 'nan.npy')), 2, /input "Input3" holds no finite value in 2 sample\(s\)/);
    writeFileSync(join(tmp, 'null.json'), 'null');
    refused(lowbit('quantize', mnist, '-o', join(tmp, 'c.onnx'), '--recipe', join(tmp, 'null.json')), 2, /--recipe .*expected a JSON object, got null/);
    expect(existsSync(join(tmp, 'c.onnx'))).toBe(false);
    expect(readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('lowbit messages and exit codes agree', () => {
  it('no arguments is a usage error (exit 2) with the help on stderr', () => {
    const r = lowbit();
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('quantize');
  });

  it('--op-types and --exclude-nodes naming nothing in the model are warned about, not silently ignored', () => {
    const r = lowbit('quantize', mnist, '-o', join(tmp, 'w.onnx'), '--mode', 'dynamic', '--op-types', 'MatMul,Conv,Bogus', '--exclude-nodes', 'nope');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: --op-types Bogus: no node of this type in the model \(it has .*Conv.*\)/);
    expect(r.stderr).toMatch(/warning: --exclude-nodes nope: no node of this name in the model/);
  });

  it('--json prints one JSON object on failure too', () => {
    const r = lowbit('quantize', '/dev/zero', '-o', join(tmp, 'j.onnx'), '--mode', 'dynamic', '--json');
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: 'MODEL_FORMAT', exitCode: 3, message: expect.stringMatching(/not a regular file/) } });
  });

  it('model names with terminal escapes and NUL are printed escaped by inspect and in errors', () => {
    const evil = '\u001b[2J\u001b]0;owned\u0007x\u0000';
    const m = matmulModel(f32(evil, [4, 4], 3), [{ id: 'mm', name: 'mm', opType: 'MatMul', domain: '', inputs: ['x', evil], outputs: ['y'], attributes: [] }]);
    const p = save('evil.onnx', m);
    const err = lowbit('quantize', p, '-o', join(tmp, 'e.onnx'), '--mode', 'dynamic');
    expect(err.code).toBe(3);
    expect(err.stderr).toContain('\\x1b[2J\\x1b]0;owned\\x07x\\x00');
    expect(err.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    const ok = save('evil-ok.onnx', matmulModel(f32(evil, [4, 4], 16), [{ id: 'mm', name: evil, opType: 'MatMul', domain: '', inputs: ['x', evil], outputs: ['y'], attributes: [] }]));
    const r = lowbit('inspect', ok);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
  });

  it('a bad input_N.pb names the file (exit 2); a closed pipe ends output quietly', () => {
    const dir = join(tmp, 'bad-set');
    execFileSync('mkdir', ['-p', dir]);
    // A TensorProto that decodes but whose data is short for its dims.
    writeFileSync(join(dir, 'input_0.pb'), Buffer.from([0x08, 0x01, 0x08, 0x04, 0x10, 0x01, 0x4a, 0x04, 0, 0, 0, 0]));
    const ok = save('ok-run.onnx', matmulModel(f32('w', [4, 4], 16)));
    refused(lowbit('run', ok, '--inputs', dir, '--backend', 'js'), 2, /bad-set\/input_0\.pb: .*4 bytes of data, dims \[1, 4\] of float32 need 16/);
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${bin}" --help | head -c 10`], { encoding: 'utf8' });
    expect(r.stderr).not.toMatch(/EPIPE|at /);
  });
});
