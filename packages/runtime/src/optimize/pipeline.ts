/**
 * The runtime's graph optimisation: which passes run at which level, and the entry points a session (synchronous)
 * and a caller (`optimizeModel`, through the PassManager) use.
 *
 * Levels (`SessionOptions.graphOptimization`):
 * - `none`: the graph is planned as given.
 * - `basic`: exact rewrites only (results bit-identical to the literal graph): DQ -> Q cancellation, folding of
 *   DequantizeLinear on constants into float initializers, dead-code elimination.
 * - `all` (default): `basic` plus BatchNormalization folding (float32 rounding moves: within a few ulps), static QDQ
 *   fusion into QLinearConv/QLinearMatMul (within 1 output quantization step of the literal graph) and the dynamic
 *   chains into `lowbit.DynamicQMatMul` / `lowbit.DynamicQConv` (bit-identical; convolutions reading one tensor share its
 *   DynamicQuantizeLinear through the quantized-input form, and a `lowbit.DynamicQConv` whose float output only such
 *   quantizing readers use becomes `lowbit.DynamicQConvQuantize`, which outputs the quantized tensor itself; a residual
 *   Add of a DynamicQMatMul's output and an activation joins the DynamicQMatMul as its input 5, and DynamicQMatMuls
 *   reading one x (Q, K, V) run as one `lowbit.DynamicQMatMulSplit`, QLinearMatMulToFloats of one quantized input as one
 *   `lowbit.QLinearMatMulToFloatSplit`); QDQ Gemm into `lowbit.QGemm`; the
 *   erf form of GELU (Mul/Div, Erf, Add, Mul, Mul) into `lowbit.GeluErf` (bit-identical to the same backend's nodes),
 *   and a GeluErf (or LayerNormalization) whose output only a per-tensor 8-bit QuantizeLinear reads into
 *   `lowbit.QGeluErf` (`lowbit.QLayerNorm`), bit-identical;
 *   QLinearMatMul -> DequantizeLinear [-> Add(bias)] into `lowbit.QLinearMatMulToFloat` (bit-identical); a Transpose that
 *   only feeds a float MatMul into `lowbit.PermutedMatMul` (bit-identical to the same backend's nodes); a float
 *   Transpose only read by a per-tensor QuantizeLinear / DynamicQuantizeLinear moved below it (exact); a MaxPool of a
 *   float `lowbit.QLookup` pooled on the bytes through the table's order (exact); a squeeze-excite block's float
 *   activation (a float lookup or DequantizeLinear of bytes) averaged and scaled per channel straight from the bytes,
 *   `lowbit.QLookupGlobalAveragePool` [+ its QuantizeLinear] and `lowbit.QLookupMulQuantize` [+ the gate's float
 *   lookup] (bit-identical); DequantizeLinear(a), DequantizeLinear(b) -> Add/Sub/Mul/Div/Max/Min -> QuantizeLinear
 *   as `lowbit.QLookup2`, a 65536-entry byte-pair table (bit-identical); a Slice that takes back one input of a Concat reads that input (exact);
 *   DequantizeLinear -> Concat -> QuantizeLinear as a Concat of the bytes, through a `lowbit.QLookup` requantization
 *   table where an input's parameters differ (exact).
 *
 * Names: passes never remove a graph output or a kept name. Kept names are made graph outputs for the length of the
 * pipeline (so no pass and no dead-code elimination can remove them) and taken out again afterwards. Values fused away
 * at `all` (a Conv's float output inside a QDQ group, a DQ'd weight, ...) are not observable unless kept.
 */
import { createPassContext, deadCodeElimination, isDefaultDomain, PassManager } from '@lowbit/onnx-ir';
import type { Model, Pass, PassContext, PassResult, ValueInfo } from '@lowbit/onnx-ir';
import { cancelDequantizeQuantize } from './cancel-dq-q.js';
import { foldBatchNorm } from './fold-batchnorm.js';
import { foldConstantDequantize } from './fold-dequantize.js';
import { fuseDynamicMatMul } from './fuse-dynamic.js';
import { fuseDynamicConvQuantize } from './fuse-dynamic-quantize.js';
import { fuseResidualAdd } from './fuse-residual-add.js';
import { fuseDynamicSiblings } from './fuse-dynamic-siblings.js';
import { fuseQLinearSiblings } from './fuse-qlinear-siblings.js';
import { foldTransposeMatMul } from './fold-transpose-matmul.js';
import { sinkTransposeQuantize } from './sink-transpose-quantize.js';
import { fuseGeluErf } from './fuse-gelu.js';
import { fuseGeluQuantize } from './fuse-gelu-quantize.js';
import { fuseLayerNormQuantize } from './fuse-layernorm-quantize.js';
import { fuseQdqQLinear } from './fuse-qlinear.js';
import { fuseQLinearMatMulDequantize } from './fuse-qlinear-dequant.js';
import { fuseQuantizedLookup } from './fuse-lookup.js';
import { sinkMaxPoolLookup } from './sink-maxpool-lookup.js';
import { fuseConcatQuantize } from './fuse-concat-quantize.js';
import { forwardSliceConcat } from './forward-slice-concat.js';
import { fuseLookupGate } from './fuse-lookup-gate.js';
import { fuseQuantizedPair } from './fuse-quantized-pair.js';
import { OPTIMIZE_OPTIONS_KEY, type OptimizePassOptions } from './support.js';

export type GraphOptimizationLevel = 'none' | 'basic' | 'all';
export const GRAPH_OPTIMIZATION_LEVELS: readonly GraphOptimizationLevel[] = ['none', 'basic', 'all'];

/** The passes of a level, in order. */
export function optimizationPasses(level: GraphOptimizationLevel): Pass[] {
  if (level === 'none') return [];
  if (level === 'basic') return [cancelDequantizeQuantize, foldConstantDequantize, deadCodeElimination];
  return [cancelDequantizeQuantize, forwardSliceConcat, foldBatchNorm, fuseQdqQLinear, fuseQLinearMatMulDequantize, fuseQuantizedLookup, sinkMaxPoolLookup, fuseLookupGate, fuseQuantizedPair, fuseDynamicMatMul, fuseResidualAdd, fuseDynamicSiblings, fuseQLinearSiblings, fuseDynamicConvQuantize, fuseGeluErf, fuseGeluQuantize, fuseLayerNormQuantize, foldTransposeMatMul, sinkTransposeQuantize, fuseConcatQuantize, foldConstantDequantize, deadCodeElimination];
}

export interface OptimizeOptions extends OptimizePassOptions {
  readonly level?: GraphOptimizationLevel;
  /** Names that must stay observable (graph inputs/outputs always do). */
  readonly keepNames?: readonly string[];
}

/** What optimisation did to a session's graph (`session.optimization`). */
export interface OptimizationReport {
  readonly level: GraphOptimizationLevel;
  readonly nodesBefore: number;
  readonly nodesAfter: number;
  /** Node count per op type after optimisation (`domain.Op` for non-default domains). */
  readonly opsAfter: Readonly<Record<string, number>>;
  /** Passes that ran, in order, whether each changed the graph, and its time. */
  readonly passes: readonly { readonly pass: string; readonly modified: boolean; readonly ms: number }[];
}

/** Kept names become graph outputs for the pipeline; returns the widened model and the names added. */
function pinKept(m: Model, keep: readonly string[] | undefined): { model: Model; added: Set<string> } {
  const added = new Set<string>();
  if (!keep?.length) return { model: m, added };
  const g = m.graph;
  const taken = new Set([...g.outputs.map((o) => o.name), ...g.inputs.map((i) => i.name)]);
  const defined = new Set([...g.initializers.map((t) => t.name), ...g.nodes.flatMap((n) => n.outputs.filter((o): o is string => !!o))]);
  const extra: ValueInfo[] = [];
  for (const k of keep) {
    if (taken.has(k) || added.has(k) || !defined.has(k)) continue;
    added.add(k);
    extra.push({ name: k, type: undefined });
  }
  return extra.length ? { model: { ...m, graph: { ...g, outputs: [...g.outputs, ...extra] } }, added } : { model: m, added };
}

function unpin(m: Model, added: Set<string>): Model {
  return added.size ? { ...m, graph: { ...m.graph, outputs: m.graph.outputs.filter((o) => !added.has(o.name)) } } : m;
}

function contextFor(options: OptimizeOptions, ctx?: PassContext): PassContext {
  const passOpts: OptimizePassOptions = { ...(options.keep ? { keep: options.keep } : {}), ...(options.rank ? { rank: options.rank } : {}) };
  const base = ctx ?? createPassContext();
  return { ...base, options: { ...base.options, [OPTIMIZE_OPTIONS_KEY]: passOpts } };
}

function opCounts(m: Model): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of m.graph.nodes) {
    const k = isDefaultDomain(n.domain) ? n.opType : `${n.domain}.${n.opType}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/**
 * Optimises `model` synchronously (what a session does at creation). Every pass of the pipeline is synchronous; the
 * identity rule is checked as the PassManager checks it.
 */
export function optimizeForSession(model: Model, options: OptimizeOptions = {}): { model: Model; report: OptimizationReport } {
  const level = options.level ?? 'all';
  const { model: pinned, added } = pinKept(model, options.keepNames);
  const ctx = contextFor(options);
  const passes: { pass: string; modified: boolean; ms: number }[] = [];
  let current = pinned;
  for (const pass of optimizationPasses(level)) {
    const t0 = performance.now();
    const r = pass.run(current, ctx) as PassResult;
    if (typeof (r as unknown as Promise<unknown>).then === 'function') throw new TypeError(`optimisation pass "${pass.name}" is asynchronous`);
    if (r.modified !== (r.model !== current)) throw new TypeError(`optimisation pass "${pass.name}" broke the identity rule`);
    passes.push({ pass: pass.name, modified: r.modified, ms: performance.now() - t0 });
    current = r.model;
  }
  const out = current === pinned ? model : unpin(current, added);
  return { model: out, report: { level, nodesBefore: model.graph.nodes.length, nodesAfter: out.graph.nodes.length, opsAfter: opCounts(out), passes } };
}

/**
 * Optimises `model` through the PassManager (verification, timings, AbortSignal from `ctx`). Same result as the
 * session's synchronous path.
 */
export async function optimizeModel(model: Model, options: OptimizeOptions = {}, ctx?: PassContext): Promise<Model> {
  const { model: pinned, added } = pinKept(model, options.keepNames);
  const pm = new PassManager(optimizationPasses(options.level ?? 'all'), { name: 'runtime-optimize' });
  const r = await pm.run(pinned, contextFor(options, ctx));
  return r.modified ? unpin(r.model, added) : model;
}
