/**
 * Ctrl-C: bin.ts turns the first SIGINT of `quantize`/`calibrate` into `io.signal`; here the signal is handed to
 * `main` directly (deterministic): the run stops, exit code 130, one line on stderr, no output file.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testdataPath } from '@lowbit/testing';
import { exitCodeFor, ExitCode } from './exit-codes.js';
import { main } from './program.js';
import { QuantizeAbortedError } from '@lowbit/quantize';

const mnist = testdataPath('models', 'mnist-8.onnx');
const trainImages = testdataPath('mnist', 'train-10k-images-idx3-ubyte.gz');
const tmp = mkdtempSync(join(tmpdir(), 'lowbit-interrupt-'));

function io(signal: AbortSignal) {
  const err: string[] = [];
  const out: string[] = [];
  return { err, out, io: { version: '0', stdout: (s: string) => void out.push(s), stderr: (s: string) => void err.push(s), interactive: false, signal } };
}

describe('interrupt', () => {
  it('an interrupted quantize (static and dynamic) and calibrate exit 130 and write nothing', async () => {
    const signal = AbortSignal.abort(new Error('interrupted (SIGINT)'));
    const runs: [string, string[]][] = [
      ['static.onnx', ['quantize', mnist, '-o', join(tmp, 'static.onnx'), '--mode', 'static', '--calib', trainImages, '--calib-count', '4']],
      ['dynamic.onnx', ['quantize', mnist, '-o', join(tmp, 'dynamic.onnx'), '--mode', 'dynamic']],
      ['stats.bin', ['calibrate', mnist, '-o', join(tmp, 'stats.bin'), '--calib', trainImages, '--calib-count', '4']],
    ];
    for (const [file, argv] of runs) {
      const t = io(signal);
      expect(await main(argv, t.io)).toBe(130);
      expect(t.err.join('')).toMatch(/^lowbit: \w+: aborted during start: interrupted \(SIGINT\)\n$/);
      expect(existsSync(join(tmp, file))).toBe(false);
    }
  });

  it('a signal that does not fire leaves the command as it was', async () => {
    const t = io(new AbortController().signal);
    expect(await main(['quantize', mnist, '-o', join(tmp, 'ok.onnx'), '--mode', 'dynamic'], t.io)).toBe(0);
    expect(existsSync(join(tmp, 'ok.onnx'))).toBe(true);
  });

  it('the ABORTED code maps to exit 130', () => {
    expect(ExitCode.interrupted).toBe(130);
    expect(exitCodeFor(new QuantizeAbortedError({ where: 'quantizeStatic', stage: 'calibration' }, undefined))).toBe(130);
  });
});
