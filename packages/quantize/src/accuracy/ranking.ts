/**
 * Which layers to keep float first: the accuracy tuner's ranking of compute nodes.
 *
 * - `all-but-one` (default): the base recipe with one more node kept float, for each node, scored by output SQNR
 *   against the float model on the ranking batches; the nodes whose exclusion raises the SQNR above the base's, the
 *   largest gain first. It measures what the tuner then does (keep a layer float inside the quantized model). Static
 *   QDQ recipes without bias correction or SmoothQuant plan and calibrate once and cost one insert-qdq rewrite per
 *   node (as `layerSensitivity` does); other recipes are quantized in full per node.
 * - `one-layer`: `layerSensitivity`'s measure (each node quantized alone, from the tuner's cached statistics, against the
 *   reference outputs already made), lowest SQNR first. Cheaper to reason about, but
 *   errors of quantized layers interact: on ppocr-mobile-v2-cls (random inputs, per-channel minmax) keeping float the
 *   layer it ranks worst lowered the whole model's output SQNR from 30.5 to 27.4 dB.
 *
 * Both run the models in @lowbit/runtime with the tuner's backends and default graph optimisation (as the trials run).
 */
import { createPassContext } from '@lowbit/onnx-ir';
import type { Model } from '@lowbit/onnx-ir';
import { insertQdqDeep } from '@lowbit/rewriters';
import type { Feeds } from '@lowbit/calibrators';
import { rangesFromStates } from '../calibration.js';
import { qdqOptions } from '../quantize-static.js';
import type { Recipe } from '../recipe.js';
import { statesFromSaved } from '../saved-statistics.js';
import { computeNodes, scoreLayers } from '../sensitivity.js';
import { planStatic } from '../static-plan.js';
import type { StaticQuantizeOptions } from '../types.js';
import { outputSqnr } from './evaluators.js';
import { modelOutputs } from '../runner.js';
import { quantizeWith, withExclusions, type TrialContext } from './trial.js';

export type RankingMethod = 'all-but-one' | 'one-layer';

export interface RankedLayer {
  readonly node: string;
  readonly opType: string;
  /** all-but-one: output SQNR (dB) with this node also kept float; one-layer: with only this node quantized. */
  readonly sqnrDb: number;
}

export interface Ranking {
  readonly method: RankingMethod;
  /** The base recipe's output SQNR on the ranking batches (all-but-one only). */
  readonly baseSqnrDb?: number;
  /** Every candidate node, as measured, in graph order. */
  readonly layers: readonly RankedLayer[];
  /** The nodes to keep float, first first. */
  readonly order: readonly string[];
}

export async function rankLayers(ctx: TrialContext, method: RankingMethod, base: Recipe, alreadyFloat: ReadonlySet<string>, batchCount: number, onLayer: (done: number, total: number) => void, signal?: AbortSignal): Promise<Ranking> {
  const batches = ctx.batches.slice(0, batchCount);
  if (method === 'one-layer') {
    const options: StaticQuantizeOptions = base.mode === 'static' ? base.options : { perChannel: true };
    const layers = await scoreLayers({
      model: ctx.model, batches, reference: ctx.reference.slice(0, batchCount), backends: ctx.backends, options,
      statistics: await ctx.statistics.for(options), signal, onLayer: (d, t) => onLayer(d, t),
    });
    return { method, layers, order: layers.filter((l) => Number.isFinite(l.sqnrDb) && !alreadyFloat.has(l.node)).sort((a, b) => a.sqnrDb - b.sqnrDb).map((l) => l.node) };
  }
  const reference = ctx.reference.slice(0, batchCount);
  const sqnr = outputSqnr();
  const score = async (m: Model): Promise<number> => sqnr.evaluate(await modelOutputs(m, batches, ctx.backends), reference) as number;
  const candidates = computeNodes(ctx.model, alreadyFloat);
  const without = await excluder(ctx, base);
  const baseSqnrDb = await score(await without([]));
  const layers: RankedLayer[] = [];
  for (const c of candidates) {
    signal?.throwIfAborted();
    layers.push({ node: c.name, opType: c.opType, sqnrDb: await score(await without([c.name])) });
    onLayer(layers.length, candidates.length);
  }
  const order = layers.filter((l) => l.sqnrDb > baseSqnrDb).sort((a, b) => b.sqnrDb - a.sqnrDb).map((l) => l.node);
  return { method, baseSqnrDb, layers, order };
}

/** Makes the base recipe's model with `nodes` kept float as well (see the file comment for the fast static path). */
async function excluder(ctx: TrialContext, base: Recipe): Promise<(nodes: readonly string[]) => Promise<Model>> {
  const o = base.mode === 'static' ? base.options : undefined;
  if (!o || o.biasCorrection || o.smoothQuant || (o.quantFormat ?? 'QDQ') !== 'QDQ') return (nodes) => quantizeWith(ctx, withExclusions(base, nodes));
  const where = 'quantizeWithAccuracy (ranking)';
  const plan = await planStatic(ctx.model, o, where, () => ctx.calibration as Feeds[]);
  const states = await statesFromSaved(await ctx.statistics.for(o), plan, o, where);
  const ranges = rangesFromStates(states, plan.tensors, plan.method, o.calibration, where, plan.optional);
  const own = plan.selection.excludeNodes;
  return async (nodes) => {
    const set = new Set(nodes);
    const sel = set.size === 0 ? plan.selection : { ...plan.selection, excludeNodes: (n: { readonly name: string }) => set.has(n.name) || (own !== undefined && (typeof own === 'function' ? own(n as never) : own.includes(n.name))) };
    return (await insertQdqDeep(qdqOptions(plan, o, ranges, sel)).run(plan.model, createPassContext())).model;
  };
}
