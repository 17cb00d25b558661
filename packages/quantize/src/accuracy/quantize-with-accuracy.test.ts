/**
 * quantizeWithAccuracy on mnist-8 (2 Conv + 1 MatMul), calibrated on 16 training images: a reachable target stops at
 * the first rung with every weight quantized (its score checked against onnxruntime-node); an impossible target
 * stops at maxTrials (or when the ranking is used up) and still returns the best model and every trial;
 * a user evaluator scoring against labels with tolerableLoss; abort; option errors.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { readMnist, testdataPath } from '@lowbit/testing';
import { encodeModel, verifyErrors, type Model } from '@lowbit/onnx-ir';
import type { Feeds } from '@lowbit/calibrators';
import { QuantizeError } from '../errors.js';
import { runnerFor } from '../runner.js';
import { calibrationFeeds } from '../test-support/mnist.js';
import { sqnrDb } from '../test-support/sqnr.js';
import { outputSqnr, top1Agreement, type ModelOutputs } from './evaluators.js';
import { quantizeWithAccuracy } from './quantize-with-accuracy.js';

const MNIST = testdataPath('models', 'mnist-8.onnx');
const data = calibrationFeeds(16);
const ortFeeds = [...data()].map((f) => ({ Input3: new ort.Tensor('float32', f.Input3.data as Float32Array, [1, 1, 28, 28]) }));

describe('quantizeWithAccuracy', () => {
  it('reachable SQNR target: reached at the first rung (static per-channel minmax), every weight quantized; the score matches onnxruntime-node', async () => {
    const seen: number[] = [];
    const r = await quantizeWithAccuracy(MNIST, data, outputSqnr(), { target: 25, maxTrials: 5, onTrial: (t, max) => seen.push(t.index * 100 + max) });
    expect(r.reached).toBe(true);
    expect(r.stopReason).toBe('reached');
    expect(r.trials).toHaveLength(1);
    expect(seen).toEqual([105]);
    expect(r.floatScore).toBe(Infinity);
    expect(r.threshold).toBe(25);
    const t = r.best;
    expect(t).toMatchObject({ index: 1, stage: 'recipe', excluded: [], reached: true, weightsQuantized: 1, weights: { quantized: 5960, total: 5960 } });
    expect(t.recipe).toMatchObject({ mode: 'static', perChannel: true, calibrationMethod: 'minmax', keepSensitiveFloat: false });
    expect(verifyErrors(r.model)).toEqual([]);
    const ortDb = await sqnrDb(MNIST, encodeModel(r.model), ortFeeds);
    console.log(`mnist-8: tuned SQNR ${t.score!.toFixed(2)} dB (Lowbit runtime), ${ortDb.toFixed(2)} dB (onnxruntime-node)`);
    expect(Math.abs(ortDb - t.score!)).toBeLessThan(1);
    expect(t.weightBytes).toBeLessThan(5998 * 4 / 2);
  }, 60_000);

  it('impossible target: stops at maxTrials with the best-scoring model and a report of every trial', async () => {
    const r = await quantizeWithAccuracy(MNIST, data, outputSqnr(), { target: 200, maxTrials: 4 });
    expect(r.reached).toBe(false);
    expect(r.stopReason).toBe('max-trials');
    expect(r.trials.map((t) => t.index)).toEqual([1, 2, 3, 4]);
    expect(r.trials.map((t) => t.stage)).toEqual(['recipe', 'recipe', 'recipe', 'exclusion']);
    expect(r.trials[2].recipe.mode).toBe('dynamic');
    const scores = r.trials.map((t) => t.score!);
    expect(r.best.score).toBe(Math.max(...scores));
    // all-but-one ranking: each compute node kept float in turn; the node whose exclusion raises the SQNR most goes first
    expect(r.ranking?.method).toBe('all-but-one');
    expect(r.ranking?.layers.map((l) => l.node).sort()).toEqual(['Convolution110', 'Convolution28', 'Times212']);
    const gains = r.ranking!.layers.filter((l) => l.sqnrDb > r.ranking!.baseSqnrDb!).sort((a, b) => b.sqnrDb - a.sqnrDb);
    expect(r.ranking!.order).toEqual(gains.map((l) => l.node));
    const ex = r.trials[3];
    expect(ex.excluded).toEqual([r.ranking!.order[0]]);
    expect(ex.score!).toBeGreaterThan(r.trials[0].score!);
    expect(ex.weightsQuantized).toBeGreaterThan(0);
    expect(ex.weightsQuantized).toBeLessThan(1);
    expect(ex.recipe.nodesToExclude).toEqual(ex.excluded);
    expect(verifyErrors(r.model)).toEqual([]);
  }, 60_000);

  it('impossible target, large budget: stops when the ranking is used up, never keeping every layer float (exhausted)', async () => {
    for (const schedule of ['one-at-a-time', 'doubling'] as const) {
      const r = await quantizeWithAccuracy(MNIST, data, outputSqnr(), { target: 200, maxTrials: 20, schedule });
      expect(r.stopReason).toBe('exhausted');
      expect(r.trials.length).toBeLessThan(20);
      const ex = r.trials.filter((t) => t.stage === 'exclusion');
      expect(ex.length).toBeGreaterThan(0);
      expect(ex[0].excluded).toHaveLength(1);
      for (const t of ex) {
        expect(t.excluded.length).toBeLessThanOrEqual(2);
        expect(t.weightsQuantized).toBeGreaterThan(0);
      }
      // a layer stays float only when it raised the score: every later set extends the best set so far
      let kept: readonly string[] = [], bestScore = r.trials[0].score!;
      for (const t of ex) {
        expect(t.excluded.slice(0, kept.length)).toEqual(kept);
        if (t.score! > bestScore) {
          kept = t.excluded;
          bestScore = t.score!;
        }
      }
    }
  }, 60_000);

  it('a target reached only by keeping a layer float: the first-ranked one is kept float, the score is deterministic', async () => {
    // per-tensor u8 minmax on the first rung only; the target sits between its score and the one-layer-float score
    const recipes = [{ mode: 'static' as const, options: { calibrationMethod: 'minmax' as const } }];
    const probe = await quantizeWithAccuracy(MNIST, data, outputSqnr(), { target: 200, maxTrials: 3, recipes });
    const [base, one] = probe.trials.map((t) => t.score!);
    expect(one).toBeGreaterThan(base);
    const target = (base + one) / 2;
    const r = await quantizeWithAccuracy(MNIST, data, outputSqnr(), { target, maxTrials: 6, recipes });
    expect(r.reached).toBe(true);
    expect(r.best.excluded).toHaveLength(1);
    expect(r.best.score).toBeCloseTo(one, 6);
  }, 60_000);

  it('ranking one-layer: layerSensitivity order (lowest SQNR with the layer quantized alone first)', async () => {
    const r = await quantizeWithAccuracy(MNIST, data, outputSqnr(), { target: 200, maxTrials: 4, ranking: 'one-layer' });
    expect(r.ranking?.method).toBe('one-layer');
    const sorted = [...r.ranking!.layers].sort((a, b) => a.sqnrDb - b.sqnrDb).map((l) => l.node);
    expect(r.ranking!.order).toEqual(sorted);
    expect(r.trials[3].excluded).toEqual([sorted[0]]);
  }, 60_000);

  it('user evaluator against labels with tolerableLoss; top1Agreement with a target', async () => {
    const test = readMnist('test', 64);
    const evalData = (): Iterable<Feeds> => Array.from({ length: 64 }, (_, i) => ({ Input3: { dtype: 'float32', dims: [1, 1, 28, 28], data: test.pixels.subarray(i * 784, (i + 1) * 784) } }));
    const accuracy = (outputs: ModelOutputs): number => {
      let ok = 0;
      outputs.forEach((o, i) => {
        const y = o.Plus214_Output_0.data as Float32Array;
        let best = 0;
        for (let k = 1; k < 10; k++) if (y[k] > y[best]) best = k;
        if (best === test.labels[i]) ok++;
      });
      return ok / outputs.length;
    };
    const r = await quantizeWithAccuracy(MNIST, data, accuracy, { tolerableLoss: 0.02, maxTrials: 3, evaluationData: evalData });
    expect(r.evaluator.name).toBe('custom');
    expect(r.floatScore).toBeGreaterThan(0.9);
    expect(r.threshold).toBeCloseTo(r.floatScore - 0.02, 12);
    expect(r.reached).toBe(true);
    expect(r.best.score).toBeGreaterThanOrEqual(r.threshold);
    const a = await quantizeWithAccuracy(MNIST, data, top1Agreement(), { target: 0.9, maxTrials: 2, evaluationData: evalData });
    expect(a.floatScore).toBe(1);
    expect(a.reached).toBe(true);
  }, 60_000);

  it('signal: aborting after the first trial returns it; aborted before any trial is a QuantizeAbortedError; aborted inside a trial drops that trial', async () => {
    const ac = new AbortController();
    const r = await quantizeWithAccuracy(MNIST, data, outputSqnr(), { target: 200, maxTrials: 5, signal: ac.signal, onTrial: () => ac.abort(new Error('enough')) });
    expect(r.stopReason).toBe('aborted');
    expect(r.trials).toHaveLength(1);
    await expect(quantizeWithAccuracy(MNIST, data, outputSqnr(), { target: 200, signal: AbortSignal.abort(new Error('stop')) })).rejects.toThrow(/quantizeWithAccuracy: aborted during the first trial: stop/);
    // aborted inside the second trial's calibration (its runner aborts): that trial is not reported
    const inside = new AbortController();
    const aborting = async (m: Model) => {
      inside.abort(new Error('stop now'));
      return runnerFor(m, undefined);
    };
    const recipes = [{ mode: 'static' as const, options: {} }, { mode: 'static' as const, options: { calibrationMethod: 'percentile' as const, runner: aborting } }];
    const r2 = await quantizeWithAccuracy(MNIST, data, outputSqnr(), { target: 200, maxTrials: 5, recipes, signal: inside.signal });
    expect(r2.stopReason).toBe('aborted');
    expect(r2.trials).toHaveLength(1);
    expect(r2.best.index).toBe(1);
  }, 60_000);

  it('option errors name the option', async () => {
    await expect(quantizeWithAccuracy(MNIST, data, outputSqnr(), {})).rejects.toThrow(/option "target".*exactly one of target and tolerableLoss/);
    await expect(quantizeWithAccuracy(MNIST, data, outputSqnr(), { target: 1, tolerableLoss: 1 })).rejects.toThrow(QuantizeError);
    await expect(quantizeWithAccuracy(MNIST, data, outputSqnr(), { target: 1, maxTrials: 0 })).rejects.toThrow(/maxTrials/);
    await expect(quantizeWithAccuracy(MNIST, data, outputSqnr(), { tolerableLoss: 1 })).rejects.toThrow(/tolerableLoss.*float score Infinity/);
    await expect(quantizeWithAccuracy(MNIST, [], outputSqnr(), { target: 1 })).rejects.toThrow(/option "data": no data/);
    await expect(quantizeWithAccuracy(MNIST, data, outputSqnr(), { target: 1, ranking: 'best' as never })).rejects.toThrow(/option "ranking"/);
  }, 60_000);
});
