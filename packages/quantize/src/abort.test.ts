/**
 * `options.signal` cancels a quantize run: before it starts, between calibration batches, before a pass; every case is
 * a QuantizeAbortedError saying where, with the signal's reason as cause, and no output file.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LowbitError, unchanged } from '@lowbit/onnx-ir';
import type { Model } from '@lowbit/onnx-ir';
import type { Feeds } from '@lowbit/calibrators';
import { testdataPath } from '@lowbit/testing';
import { abortable } from './abort.js';
import { calibrateStatic } from './calibrate-static.js';
import { QuantizeAbortedError } from './errors.js';
import { loadInput } from './io.js';
import { runPasses } from './pipeline.js';
import { quantizeDynamic } from './quantize-dynamic.js';
import { quantizeStatic } from './quantize-static.js';
import { quantizeWeightOnly } from './quantize-weight-only.js';
import { calibrationFeeds } from './test-support/mnist.js';

const MNIST = testdataPath('models', 'mnist-8.onnx');
const tmp = mkdtempSync(join(tmpdir(), 'lowbit-abort-'));

async function rejection(p: Promise<unknown>): Promise<QuantizeAbortedError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(QuantizeAbortedError);
  expect(e).toBeInstanceOf(LowbitError);
  return e as QuantizeAbortedError;
}

/** `n` MNIST feeds; `after(i)` runs once batch i has been handed out. */
function feeds(n: number, after: (i: number) => void): () => Iterable<Feeds> {
  const base = calibrationFeeds(n);
  return function* () {
    let i = 0;
    for (const f of base()) { yield f; after(i++); }
  };
}

describe('abort', () => {
  it('an aborted signal stops every mode before it starts; nothing is written', async () => {
    const reason = new Error('user pressed ctrl-c');
    const signal = AbortSignal.abort(reason);
    const cases: [string, (out: string) => Promise<unknown>][] = [
      ['quantizeStatic', (out) => quantizeStatic(MNIST, out, calibrationFeeds(2), { signal })],
      ['quantizeDynamic', (out) => quantizeDynamic(MNIST, out, { signal })],
      ['quantizeWeightOnly', (out) => quantizeWeightOnly(MNIST, out, { signal })],
      ['calibrateStatic', () => calibrateStatic(MNIST, calibrationFeeds(2), { signal })],
    ];
    for (const [where, run] of cases) {
      const out = join(tmp, `${where}.onnx`);
      const e = await rejection(run(out));
      expect(e.code).toBe('ABORTED');
      expect(e.context).toEqual({ where, stage: 'start' });
      expect(e.cause).toBe(reason);
      expect(e.message).toBe(`${where}: aborted during start: user pressed ctrl-c`);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('static quantization of mnist-8 aborted during calibration (after batch 2 of 8): typed error, no output file', async () => {
    const ac = new AbortController();
    const out = join(tmp, 'during-calibration.onnx');
    let handedOut = 0;
    const data = feeds(8, (i) => { handedOut = i + 1; if (i === 1) ac.abort(); });
    const e = await rejection(quantizeStatic(MNIST, out, data, { signal: ac.signal }));
    expect(e.context).toEqual({ where: 'quantizeStatic', stage: 'calibration' });
    expect(handedOut).toBe(2); // the next batch was never asked for
    expect(existsSync(out)).toBe(false);
  });

  it('aborted once the data is exhausted: calibration finishes, the run stops before the rewrite; calibrateStatic likewise', async () => {
    const ac = new AbortController();
    const out = join(tmp, 'after-calibration.onnx');
    const e = await rejection(quantizeStatic(MNIST, out, feeds(3, (i) => { if (i === 2) ac.abort('late'); }), { signal: ac.signal }));
    expect(e.context.stage).toBe('quantize');
    expect(e.cause).toBe('late');
    expect(existsSync(out)).toBe(false);
    const ac2 = new AbortController();
    const e2 = await rejection(calibrateStatic(MNIST, feeds(3, (i) => { if (i === 1) ac2.abort(); }), { signal: ac2.signal }));
    expect(e2.context).toEqual({ where: 'calibrateStatic', stage: 'calibration' });
  });

  it('the PassManager checks the signal before each pass: a pass that aborts stops the next one', async () => {
    const m = await loadInput(MNIST, 'test');
    const ac = new AbortController();
    const ran: string[] = [];
    const pass = (name: string, abort = false) => ({ name, run(x: Model) { ran.push(name); if (abort) ac.abort(); return unchanged(x); } });
    const e = await rejection(abortable('quantizeStatic', ac.signal, async (stage) => {
      stage('quantize');
      return runPasses('quantize-static', [pass('insert-qdq', true), pass('qdq-to-qoperator')], m, ac.signal);
    }));
    expect(ran).toEqual(['insert-qdq']);
    expect(e.context.stage).toBe('quantize (before pass "qdq-to-qoperator")');
  });

  it('a signal that never fires changes nothing: the same bytes as a run without one', async () => {
    const a = join(tmp, 'plain.onnx');
    const b = join(tmp, 'with-signal.onnx');
    await quantizeStatic(MNIST, a, calibrationFeeds(4));
    await quantizeStatic(MNIST, b, calibrationFeeds(4), { signal: new AbortController().signal });
    expect(Buffer.compare(readFileSync(a), readFileSync(b))).toBe(0);
  });
});
