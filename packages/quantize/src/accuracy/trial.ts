/**
 * One trial of the accuracy tuner: quantize with a recipe (plus nodes kept float), run the result over the evaluation
 * batches, score it, and describe it (recipe, exclusions, score, weight bytes, fraction of weights quantized).
 * Static trials reuse calibration statistics per calibration setting (`StatisticsCache`): the statistics are made
 * once with every compute node selected, and saved statistics may cover more tensors than a trial needs.
 */
import type { Model, Node } from '@lowbit/onnx-ir';
import type { Feeds } from '@lowbit/calibrators';
import type { KernelBackend } from '@lowbit/runtime';
import { calibrateStatic } from '../calibrate-static.js';
import { modelOutputs } from '../runner.js';
import { canonicalJson } from '../canonical-json.js';
import { coverageOf } from '../coverage.js';
import { QuantizeError } from '../errors.js';
import { quantizeDynamic } from '../quantize-dynamic.js';
import { quantizeStatic } from '../quantize-static.js';
import { quantizeWeightOnly } from '../quantize-weight-only.js';
import { recipeOf, type Recipe } from '../recipe.js';
import type { StaticQuantizeOptions } from '../types.js';
import type { Evaluator, ModelOutputs } from './evaluators.js';
import { countWeights, weightBytes } from './weights.js';

/** One trial of `quantizeWithAccuracy`, as reported. */
export interface TuningTrial {
  /** 1-based, in the order run. */
  readonly index: number;
  /** `recipe`: a recipe of the ladder as is; `exclusion`: the base recipe with the most sensitive layers kept float. */
  readonly stage: 'recipe' | 'exclusion';
  /** The recipe in its JSON form (`{ mode, ...options }`, see `parseRecipe`), including the exclusions. */
  readonly recipe: Readonly<Record<string, unknown>>;
  /** Nodes the tuner kept float in this trial (most sensitive first). */
  readonly excluded: readonly string[];
  /** Nodes the recipe's own rules kept float (`keepSensitiveFloat`), from the model's coverage record. */
  readonly keptFloat: readonly string[];
  /** The evaluator's score; null when the trial failed. */
  readonly score: number | null;
  /** Whether the score meets the threshold. */
  readonly reached: boolean;
  /** Bytes of the model's tensors (initializers and Constant values, raw layout). */
  readonly weightBytes: number;
  /** Weight elements of the compute nodes: quantized and total (see weights.ts). */
  readonly weights: { readonly quantized: number; readonly total: number };
  /** `weights.quantized / weights.total` (0 when the model has no weights). */
  readonly weightsQuantized: number;
  readonly seconds: number;
  /** Why the trial failed (the quantizer's or evaluator's error message). */
  readonly error?: string;
}

/** Calibration statistics per calibration setting, made on first use. */
export class StatisticsCache {
  readonly #made = new Map<string, Uint8Array>();
  constructor(private readonly model: Model, private readonly data: () => Iterable<Feeds>) {}

  async for(options: StaticQuantizeOptions): Promise<Uint8Array> {
    const { signal, nodesToExclude: _e, nodesToQuantize: _q, keepSensitiveFloat: _k, perChannel: _p, weightType: _w, weightSymmetric: _s, tensorOverrides: _t, nodeOverrides: _n, biasCorrection: _b, quantFormat: _f, save: _v, runner: _r, ...shaping } = options;
    const key = canonicalJson(shaping);
    let s = this.#made.get(key);
    if (s === undefined) {
      // every compute node selected, so the statistics cover any trial's exclusions; weight types shape preprocessing
      s = await calibrateStatic(this.model, this.data, { ...shaping, ...(options.weightType ? { weightType: options.weightType } : {}), ...(options.runner ? { runner: options.runner } : {}), ...(signal ? { signal } : {}), keepSensitiveFloat: false });
      this.#made.set(key, s);
    }
    return s;
  }
}

export interface TrialContext {
  readonly model: Model;
  /** Evaluation batches (the reference outputs are the float model's on these). */
  readonly batches: readonly Feeds[];
  /** Calibration batches. */
  readonly calibration: readonly Feeds[];
  readonly reference: ModelOutputs;
  readonly evaluator: Evaluator;
  readonly threshold: number;
  readonly backends: readonly KernelBackend[];
  readonly statistics: StatisticsCache;
  /** Passed to every quantizer call (a trial aborted part way is not reported: its QuantizeAbortedError is thrown). */
  readonly signal?: AbortSignal;
}

/** The recipe with `excluded` added to its `nodesToExclude` (names or predicate). */
export function withExclusions(recipe: Recipe, excluded: readonly string[]): Recipe {
  if (excluded.length === 0) return recipe;
  const own = recipe.options.nodesToExclude;
  const set = new Set(excluded);
  const nodesToExclude = own === undefined ? [...excluded]
    : typeof own === 'function' ? (n: Node) => set.has(n.name) || own(n)
    : [...own, ...excluded.filter((e) => !own.includes(e))];
  return { mode: recipe.mode, options: { ...recipe.options, nodesToExclude } } as Recipe;
}

/** Runs one trial; a failure is recorded in the trial (`error`), never thrown. */
export async function runTrial(ctx: TrialContext, index: number, stage: TuningTrial['stage'], recipe: Recipe, excluded: readonly string[]): Promise<{ trial: TuningTrial; model?: Model }> {
  const started = performance.now();
  const r = withExclusions(recipe, excluded);
  const json = recipeOf(r.mode, r.options);
  try {
    const q = await quantizeWith(ctx, r);
    const outputs = await modelOutputs(q, ctx.batches, ctx.backends);
    const score = await ctx.evaluator.evaluate(outputs, ctx.reference);
    if (typeof score !== 'number' || Number.isNaN(score)) throw new Error(`the evaluator "${ctx.evaluator.name}" returned ${String(score)}, expected a number`);
    const weights = countWeights(q);
    const trial: TuningTrial = {
      index, stage, recipe: json, excluded: [...excluded], keptFloat: (coverageOf(q)?.keptFloat ?? []).map((k) => k.node),
      score, reached: score >= ctx.threshold, weightBytes: weightBytes(q), weights,
      weightsQuantized: weights.total === 0 ? 0 : weights.quantized / weights.total, seconds: (performance.now() - started) / 1000,
    };
    return { trial, model: q };
  } catch (e) {
    if (ctx.signal?.aborted) throw e;
    return {
      trial: {
        index, stage, recipe: json, excluded: [...excluded], keptFloat: [], score: null, reached: false, weightBytes: 0,
        weights: { quantized: 0, total: 0 }, weightsQuantized: 0, seconds: (performance.now() - started) / 1000, error: (e as Error).message ?? String(e),
      },
    };
  }
}

/** `r`'s model (nothing written); static recipes use the statistics cache. */
export async function quantizeWith(ctx: TrialContext, recipe: Recipe): Promise<Model> {
  const data = () => ctx.calibration;
  const r = (ctx.signal ? { mode: recipe.mode, options: { ...recipe.options, signal: ctx.signal } } : recipe) as Recipe;
  switch (r.mode) {
    case 'static': {
      if (r.options.biasCorrection || r.options.smoothQuant) return quantizeStatic(ctx.model, null, data, r.options);
      const statistics = await ctx.statistics.for(r.options);
      try {
        return await quantizeStatic(ctx.model, null, null, { ...r.options, statistics });
      } catch (e) {
        // statistics that do not cover this trial's tensors: calibrate for it alone
        if (e instanceof QuantizeError && e.context.option === 'statistics') return quantizeStatic(ctx.model, null, data, r.options);
        throw e;
      }
    }
    case 'dynamic':
      return quantizeDynamic(ctx.model, null, r.options);
    case 'weight-only':
      return quantizeWeightOnly(ctx.model, null, { ...r.options, calibrationData: data });
  }
}
