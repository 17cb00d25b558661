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
 * 3. Exclusion: from the best-scoring ladder trial, the layers ranked by `layerSensitivity` (each layer quantized
 *    alone, lowest output SQNR first; measured on the first `sensitivityBatches` evaluation batches) are kept float,
 *    the k most sensitive for k = 1, 2, 4, 8, ... (`schedule: 'doubling'`, default) or k = 1, 2, 3, ...
 *    (`'one-at-a-time'`). Once a k meets the threshold, doubling bisects between it and the last k that did not,
 *    with the trials left, for the fewest layers kept float. At least one ranked layer stays quantized.
 *
 * Best model: among the trials that meet the threshold the one with the largest fraction of weights quantized
 * (ties: higher score, then earlier); when none does, the highest score (ties: more weights quantized, then
 * earlier). A failed trial (the recipe does not apply, a run fails) is reported with its error and tuning goes on.
 * `signal` stops tuning between trials (and between sensitivity layers): the best model so far is returned with
 * `stopReason: 'aborted'`; aborted before any trial finished, the signal's reason is thrown.
 */
import type { Model } from '@lowbit/onnx-ir';
import type { Feeds } from '@lowbit/calibrators';
import { loadBackends } from '@lowbit/runtime';
import { rereadable } from '../calibration.js';
import { QuantizeError } from '../errors.js';
import { loadInput } from '../io.js';
import type { Recipe } from '../recipe.js';
import { sensitiveNodes } from '../sensitive-ops.js';
import { layerSensitivity, type LayerSensitivity } from '../sensitivity.js';
import type { CalibrationData, CalibrationMethod, ModelInput, StaticQuantizeOptions } from '../types.js';
import { toEvaluator, type EvaluateFn, type Evaluator } from './evaluators.js';
import { modelOutputs, runTrial, StatisticsCache, type TrialContext, type TuningTrial } from './trial.js';

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
  /** Evaluation batches the per-layer sensitivity ranking runs on (default 2). */
  readonly sensitivityBatches?: number;
  /** How the number of layers kept float grows; default `doubling`. */
  readonly schedule?: 'doubling' | 'one-at-a-time';
  readonly signal?: AbortSignal;
  /** Called after every trial (`maxTrials` is the budget). */
  readonly onTrial?: (trial: TuningTrial, maxTrials: number) => void;
  /** Called after every layer of the sensitivity ranking. */
  readonly onSensitivity?: (done: number, total: number) => void;
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
  readonly sensitivity?: readonly LayerSensitivity[];
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
    const ctx: TrialContext = { model, batches: evalBatches, calibration: batches, reference, evaluator: ev, threshold, backends, statistics: new StatisticsCache(model, () => batches) };
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
    const { trial, model } = await runTrial(ctx, trials.length + 1, stage, recipe, excluded);
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
  let sensitivity: LayerSensitivity[] | undefined;
  let exhausted = !reached && trials.length < maxTrials && !aborted;
  const base = bestScoring(tried);
  if (!reached && !aborted && trials.length < maxTrials && base) {
    const staticOptions: StaticQuantizeOptions = base.recipe.mode === 'static' ? base.recipe.options : { perChannel: true };
    try {
      sensitivity = await layerSensitivity(ctx.model, () => ctx.batches.slice(0, options.sensitivityBatches ?? 2), {
        ...staticOptions, signal: options.signal, onLayer: (d, t) => options.onSensitivity?.(d, t),
      });
    } catch (e) {
      if (!options.signal?.aborted) throw e;
      aborted = true;
    }
    if (sensitivity) {
      const float = new Set([...base.trial.keptFloat, ...(Array.isArray(base.recipe.options.nodesToExclude) ? base.recipe.options.nodesToExclude : [])]);
      const ranking = sensitivity.filter((l) => Number.isFinite(l.sqnrDb) && !float.has(l.node)).sort((a, b) => a.sqnrDb - b.sqnrDb).map((l) => l.node);
      // at least one layer stays quantized: a model with every layer float is the float model, not a result
      const r = await exclude(ranking.length - 1, options.schedule ?? 'doubling', maxTrials - trials.length, (k) => attempt('exclusion', base.recipe, ranking.slice(0, k)));
      reached = r.reached;
      exhausted = r.exhausted;
      aborted ||= r.aborted;
    }
  }

  if (!best) {
    if (aborted) options.signal!.throwIfAborted();
    const first = trials.find((t) => t.error);
    throw new QuantizeError({ where: WHERE, expected: 'at least one trial that quantizes and runs', actual: `${trials.length} failed${first ? ` (first: ${first.error})` : ''}` }, 'no quantized model');
  }
  const b = best as { trial: TuningTrial; model: Model };
  const stopReason: AccuracyResult['stopReason'] = b.trial.reached ? 'reached' : aborted ? 'aborted' : exhausted && trials.length < maxTrials ? 'exhausted' : 'max-trials';
  return {
    model: b.model, best: b.trial, reached: b.trial.reached, stopReason,
    evaluator: { name: ctx.evaluator.name, ...(ctx.evaluator.unit ? { unit: ctx.evaluator.unit } : {}) },
    floatScore, threshold: ctx.threshold, trials, ...(sensitivity ? { sensitivity } : {}),
  };
}

/**
 * Keeps the k most sensitive layers float for growing k <= `most` (see the file comment) with at most `budget`
 * trials. `exhausted`: `most` layers float and still not reached.
 */
async function exclude(most: number, schedule: 'doubling' | 'one-at-a-time', budget: number, run: (k: number) => Promise<TuningTrial | undefined>): Promise<{ reached: boolean; exhausted: boolean; aborted: boolean }> {
  let lo = 0; // the largest k known not to reach
  let hi: number | undefined; // the smallest k known to reach
  let k = 1;
  for (let used = 0; used < budget && most > 0;) {
    let next: number;
    if (hi === undefined) next = Math.min(k, most);
    else if (schedule === 'doubling' && hi - lo > 1) next = lo + Math.floor((hi - lo) / 2);
    else break;
    const t = await run(next);
    used++;
    if (!t) return { reached: hi !== undefined, exhausted: false, aborted: true };
    if (t.reached) hi = next;
    else {
      lo = next;
      if (hi === undefined && next === most) return { reached: false, exhausted: true, aborted: false };
      k = schedule === 'doubling' ? next * 2 : next + 1;
    }
  }
  return { reached: hi !== undefined, exhausted: most <= 0, aborted: false };
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
  if (o.sensitivityBatches !== undefined && !(Number.isInteger(o.sensitivityBatches) && o.sensitivityBatches >= 1)) throw new QuantizeError({ where: WHERE, option: 'sensitivityBatches', expected: 'an integer >= 1', actual: String(o.sensitivityBatches) }, 'bad sensitivityBatches');
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
