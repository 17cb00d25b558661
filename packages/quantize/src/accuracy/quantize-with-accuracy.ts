/**
 * `quantizeWithAccuracy(input, data, evaluator, options)`: accuracy-aware tuning. Tries quantization recipes and
 * keeps the most sensitive layers float until the evaluator's score meets the threshold or `maxTrials` trials ran,
 * and always resolves to the best model found with a report of every trial.
 *
 * 1. The float model runs over the evaluation batches (`evaluationData`, default the calibration `data`, read once
 *    into memory); its outputs are the reference every evaluator sees, and its own score sets the threshold when
 *    `tolerableLoss` is given: `threshold = floatScore - tolerableLoss`; with `target`, `threshold = target`.
 * 2. Recipe ladder (`options.recipes` replaces it), stopping at the first trial that meets the threshold:
 *    static QDQ per-channel u8/s8 with every layer quantized (`keepSensitiveFloat: false`), one trial per calibration
 *    method in `methods` (default minmax, then percentile); the best of those with the layers feeding
 *    Log/Exp/Softmax/... kept float (only when the model has such layers, see sensitive-ops.ts); dynamic per-channel.
 *    Entropy is not in the default methods: on ultraface-rfb-320 and ppocr-mobile-v2-cls a trial with it took about
 *    6 times a minmax trial and scored lowest of the three; add it with `methods: ['minmax', 'percentile', 'entropy']`.
 * 3. Exclusion: from the best-scoring ladder trial, layers are ranked (ranking.ts: `all-but-one`, default, the
 *    output SQNR gain of keeping each one float in the base model; or `one-layer`, `layerSensitivity`; measured on the
 *    first `rankingBatches` evaluation batches) and kept float in ranking order, one at a time (`schedule:
 *    'one-at-a-time'`, default) or in groups of 1, 2, 4, ... (`'doubling'`: the group doubles after a kept group and
 *    is 1 again after a dropped one). A layer (group) stays float only when the trial scores higher than the best
 *    exclusion set so far: quantization errors interact, and keeping a layer float can lower the score.
 *    At least one ranked layer stays quantized.
 *
 * Best model: among the trials that meet the threshold the one with the largest fraction of weights quantized
 * (ties: higher score, then earlier); when none does, the highest score (ties: more weights quantized, then
 * earlier). A failed trial (the recipe does not apply, a run fails) is reported with its error and tuning goes on.
 * `signal` stops tuning (between trials and ranked layers, and inside a trial's quantizer call, whose trial is then
 * not reported): the best model so far is returned with
 * `stopReason: 'aborted'`; aborted before any trial finished, a QuantizeAbortedError (cause: the signal's reason).
 */
import type { Model } from '@lowbit/onnx-ir';
import type { Feeds } from '@lowbit/calibrators';
import { loadBackends } from '@lowbit/runtime';
import { rereadable } from '../calibration.js';
import { QuantizeAbortedError, QuantizeError } from '../errors.js';
import { loadInput } from '../io.js';
import type { Recipe } from '../recipe.js';
import { sensitiveNodes } from '../sensitive-ops.js';
import type { CalibrationData, CalibrationMethod, ModelInput } from '../types.js';
import { rankLayers, type Ranking, type RankingMethod } from './ranking.js';
import { toEvaluator, type EvaluateFn, type Evaluator } from './evaluators.js';
import { modelOutputs } from '../runner.js';
import { runTrial, StatisticsCache, type TrialContext, type TuningTrial } from './trial.js';

const WHERE = 'quantizeWithAccuracy';

export interface AccuracyOptions {
  /** Reached when the score is at least this (give `target` or `tolerableLoss`, not both). */
  readonly target?: number;
  /** Reached when the score is at least the float model's score minus this (the float score must be finite). */
  readonly tolerableLoss?: number;
  /** Most trials (quantize + evaluate) to run; default 12. */
  readonly maxTrials?: number;
  /** The recipes to try, in order, instead of the default ladder (see the file comment). */
  readonly recipes?: readonly Recipe[];
  /** Data to score on (default: the calibration data). */
  readonly evaluationData?: CalibrationData;
  /** Calibration methods of the default ladder's static rungs, in order (default minmax, percentile). */
  readonly methods?: readonly CalibrationMethod[];
  /** How layers are ranked for keeping float (ranking.ts); default `all-but-one`. */
  readonly ranking?: RankingMethod;
  /** Evaluation batches the ranking runs on (default 2). */
  readonly rankingBatches?: number;
  /** How layers are added to the float set: one at a time (default) or in doubling groups (see the file comment). */
  readonly schedule?: 'doubling' | 'one-at-a-time';
  readonly signal?: AbortSignal;
  /** Called after every trial (`maxTrials` is the budget). */
  readonly onTrial?: (trial: TuningTrial, maxTrials: number) => void;
  /** Called after every layer of the ranking. */
  readonly onRanking?: (done: number, total: number) => void;
}

export interface AccuracyResult {
  /** The best model found (see the file comment); not written anywhere. */
  readonly model: Model;
  /** The trial that made `model`. */
  readonly best: TuningTrial;
  /** Whether `best` meets the threshold. */
  readonly reached: boolean;
  /** `reached`; `max-trials`: the budget ran out first; `exhausted`: nothing left to try; `aborted`: `signal`. */
  readonly stopReason: 'reached' | 'max-trials' | 'exhausted' | 'aborted';
  readonly evaluator: { readonly name: string; readonly unit?: string };
  /** The float model's score (the evaluator on the reference outputs themselves). */
  readonly floatScore: number;
  readonly threshold: number;
  readonly trials: readonly TuningTrial[];
  /** The per-layer ranking, when the exclusion stage ran. */
  readonly ranking?: Ranking;
}

/** Quantizes `input`, keeping layers float as needed to meet the accuracy threshold (see the file comment). */
export async function quantizeWithAccuracy(input: ModelInput, data: CalibrationData, evaluator: Evaluator | EvaluateFn, options: AccuracyOptions): Promise<AccuracyResult> {
  const ev = toEvaluator(evaluator);
  const maxTrials = checkOptions(options);
  const model = await loadInput(input, WHERE);
  const batches = await readAll(data, 'data');
  const evalBatches = options.evaluationData === undefined ? batches : await readAll(options.evaluationData, 'evaluationData');
  const backends = await loadBackends('auto');
  try {
    const reference = await modelOutputs(model, evalBatches, backends);
    const floatScore = await ev.evaluate(reference, reference);
    const threshold = options.target ?? floatScore - options.tolerableLoss!;
    if (!Number.isFinite(threshold) && options.target === undefined) {
      throw new QuantizeError({ where: WHERE, option: 'tolerableLoss', expected: `an evaluator whose float score is finite (or use target)`, actual: `float score ${floatScore} with "${ev.name}"` }, 'no threshold');
    }
    const ctx: TrialContext = { model, batches: evalBatches, calibration: batches, reference, evaluator: ev, threshold, backends, statistics: new StatisticsCache(model, () => batches), ...(options.signal ? { signal: options.signal } : {}) };
    return await tune(ctx, options, maxTrials, floatScore);
  } finally {
    for (const b of backends) b.dispose?.();
  }
}

async function tune(ctx: TrialContext, options: AccuracyOptions, maxTrials: number, floatScore: number): Promise<AccuracyResult> {
  const trials: TuningTrial[] = [];
  let best: { trial: TuningTrial; model: Model } | undefined;
  let aborted = false;
  const attempt = async (stage: TuningTrial['stage'], recipe: Recipe, excluded: readonly string[]): Promise<TuningTrial | undefined> => {
    if (options.signal?.aborted) {
      aborted = true;
      return undefined;
    }
    let done;
    try {
      done = await runTrial(ctx, trials.length + 1, stage, recipe, excluded);
    } catch (e) {
      if (!options.signal?.aborted) throw e;
      aborted = true;
      return undefined;
    }
    const { trial, model } = done;
    trials.push(trial);
    if (model && (!best || better(trial, best.trial))) best = { trial, model };
    options.onTrial?.(trial, maxTrials);
    return trial;
  };

  // 2. the ladder
  const ladder = options.recipes ? [...options.recipes] : defaultLadder(ctx.model, options.methods ?? ['minmax', 'percentile']);
  const tried: { recipe: Recipe; trial: TuningTrial }[] = [];
  let reached = false;
  for (let i = 0; i < ladder.length && trials.length < maxTrials && !reached; i++) {
    const step = ladder[i];
    const recipe = typeof step === 'function' ? step(tried) : step;
    if (recipe === undefined) continue;
    const trial = await attempt('recipe', recipe, []);
    if (!trial) break;
    tried.push({ recipe, trial });
    reached = trial.reached;
  }

  // 3. exclusion from the best-scoring ladder trial
  let ranking: Ranking | undefined;
  let exhausted = !reached && trials.length < maxTrials && !aborted;
  const base = bestScoring(tried);
  if (!reached && !aborted && trials.length < maxTrials && base) {
    const float = new Set([...base.trial.keptFloat, ...(Array.isArray(base.recipe.options.nodesToExclude) ? base.recipe.options.nodesToExclude : [])]);
    try {
      ranking = await rankLayers(ctx, options.ranking ?? 'all-but-one', base.recipe, float, options.rankingBatches ?? 2, (d, t) => options.onRanking?.(d, t), options.signal);
    } catch (e) {
      if (!options.signal?.aborted) throw e;
      aborted = true;
    }
    if (ranking) {
      const order = ranking.order;
      // at least one layer stays quantized: a model with every layer float is the float model, not a result
      const most = Math.min(order.length, ranking.layers.filter((l) => !float.has(l.node)).length - 1);
      const r = await exclude(order, most, options.schedule ?? 'one-at-a-time', base.trial.score!, maxTrials - trials.length, (nodes) => attempt('exclusion', base.recipe, nodes));
      reached = r.reached;
      exhausted = r.exhausted;
      aborted ||= r.aborted;
    }
  }

  if (!best) {
    if (aborted) throw new QuantizeAbortedError({ where: WHERE, stage: trials.length === 0 ? 'the first trial' : 'tuning' }, options.signal!.reason);
    const first = trials.find((t) => t.error);
    throw new QuantizeError({ where: WHERE, expected: 'at least one trial that quantizes and runs', actual: `${trials.length} failed${first ? ` (first: ${first.error})` : ''}` }, 'no quantized model');
  }
  const b = best as { trial: TuningTrial; model: Model };
  const stopReason: AccuracyResult['stopReason'] = b.trial.reached ? 'reached' : aborted ? 'aborted' : exhausted && trials.length < maxTrials ? 'exhausted' : 'max-trials';
  return {
    model: b.model, best: b.trial, reached: b.trial.reached, stopReason,
    evaluator: { name: ctx.evaluator.name, ...(ctx.evaluator.unit ? { unit: ctx.evaluator.unit } : {}) },
    floatScore, threshold: ctx.threshold, trials, ...(ranking ? { ranking } : {}),
  };
}

/**
 * Keeps ranked layers float, a group at a time (see the file comment), with at most `budget` trials and at most
 * `most` layers float. `exhausted`: every ranked layer tried (or `most` reached) without meeting the threshold.
 */
async function exclude(order: readonly string[], most: number, schedule: 'doubling' | 'one-at-a-time', baseScore: number, budget: number, run: (nodes: readonly string[]) => Promise<TuningTrial | undefined>): Promise<{ reached: boolean; exhausted: boolean; aborted: boolean }> {
  const accepted: string[] = [];
  let current = baseScore;
  let size = 1;
  let next = 0;
  for (let used = 0; used < budget; used++) {
    const room = most - accepted.length;
    if (next >= order.length || room <= 0) return { reached: false, exhausted: true, aborted: false };
    const group = order.slice(next, next + Math.min(size, room));
    next += group.length;
    const t = await run([...accepted, ...group]);
    if (!t) return { reached: false, exhausted: false, aborted: true };
    if (t.reached) return { reached: true, exhausted: false, aborted: false };
    if (t.score !== null && t.score > current) {
      accepted.push(...group);
      current = t.score;
      if (schedule === 'doubling') size *= 2;
    } else size = 1;
  }
  return { reached: false, exhausted: next >= order.length, aborted: false };
}

/** a is better than b (see the file comment; earlier wins ties, so `a` must be strictly better). */
function better(a: TuningTrial, b: TuningTrial): boolean {
  if (a.score === null) return false;
  if (b.score === null) return true;
  if (a.reached !== b.reached) return a.reached;
  const [first, second] = a.reached ? [a.weightsQuantized - b.weightsQuantized, a.score - b.score] : [a.score - b.score, a.weightsQuantized - b.weightsQuantized];
  return first > 0 || (first === 0 && second > 0);
}

function bestScoring(tried: readonly { recipe: Recipe; trial: TuningTrial }[]): { recipe: Recipe; trial: TuningTrial } | undefined {
  let out: { recipe: Recipe; trial: TuningTrial } | undefined;
  for (const t of tried) if (t.trial.score !== null && (!out || t.trial.score > out.trial.score!)) out = t;
  return out;
}

type LadderStep = Recipe | ((tried: readonly { recipe: Recipe; trial: TuningTrial }[]) => Recipe | undefined);

/** The default ladder (see the file comment). */
function defaultLadder(model: Model, methods: readonly CalibrationMethod[]): LadderStep[] {
  const steps: LadderStep[] = methods.map((calibrationMethod) => ({ mode: 'static', options: { perChannel: true, keepSensitiveFloat: false, calibrationMethod } }));
  if (sensitiveNodes(model).length > 0) {
    steps.push((tried) => {
      const b = bestScoring(tried.filter((t) => t.recipe.mode === 'static'));
      return b ? { mode: 'static', options: { ...b.recipe.options, keepSensitiveFloat: true } } : undefined;
    });
  }
  steps.push({ mode: 'dynamic', options: { perChannel: true } });
  return steps;
}

function checkOptions(o: AccuracyOptions): number {
  if ((o.target === undefined) === (o.tolerableLoss === undefined)) {
    throw new QuantizeError({ where: WHERE, option: 'target', expected: 'exactly one of target and tolerableLoss', actual: o.target === undefined ? 'neither' : 'both' }, 'no accuracy criterion');
  }
  if (o.target !== undefined && (typeof o.target !== 'number' || Number.isNaN(o.target))) throw new QuantizeError({ where: WHERE, option: 'target', expected: 'a number', actual: String(o.target) }, 'bad target');
  if (o.tolerableLoss !== undefined && !(o.tolerableLoss >= 0 && Number.isFinite(o.tolerableLoss))) throw new QuantizeError({ where: WHERE, option: 'tolerableLoss', expected: 'a finite number >= 0', actual: String(o.tolerableLoss) }, 'bad tolerableLoss');
  const maxTrials = o.maxTrials ?? 12;
  if (!Number.isInteger(maxTrials) || maxTrials < 1) throw new QuantizeError({ where: WHERE, option: 'maxTrials', expected: 'an integer >= 1', actual: String(maxTrials) }, 'bad maxTrials');
  if (o.rankingBatches !== undefined && !(Number.isInteger(o.rankingBatches) && o.rankingBatches >= 1)) throw new QuantizeError({ where: WHERE, option: 'rankingBatches', expected: 'an integer >= 1', actual: String(o.rankingBatches) }, 'bad rankingBatches');
  if (o.ranking !== undefined && o.ranking !== 'all-but-one' && o.ranking !== 'one-layer') throw new QuantizeError({ where: WHERE, option: 'ranking', expected: 'all-but-one or one-layer', actual: String(o.ranking) }, 'bad ranking');
  if (o.methods !== undefined && o.recipes !== undefined) throw new QuantizeError({ where: WHERE, option: 'methods', expected: 'methods or recipes, not both (methods shape the default ladder)', actual: 'both' }, 'conflicting options');
  if (o.recipes !== undefined && o.recipes.length === 0) throw new QuantizeError({ where: WHERE, option: 'recipes', expected: 'at least one recipe', actual: '[]' }, 'nothing to try');
  return maxTrials;
}

async function readAll(data: CalibrationData, option: string): Promise<Feeds[]> {
  const out: Feeds[] = [];
  for await (const f of (rereadable(data) as () => Iterable<Feeds> | AsyncIterable<Feeds>)()) out.push(f);
  if (out.length === 0) throw new QuantizeError({ where: WHERE, option, expected: 'at least one batch', actual: '0' }, 'no data');
  return out;
}
