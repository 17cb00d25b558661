/**
 * Per-layer sensitivity: each compute node (Conv/ConvTranspose/MatMul/Gemm, main graph and control-flow bodies) quantized alone,
 * everything else float, and the model's output SQNR against the float model on the given data:
 * `SQNR = 10 log10(Σ f² / Σ (f - q)²)` over every float output element of every batch (dB; +Infinity when identical,
 * -Infinity for a NaN or noise without signal: the accuracy tuner's `outputSqnr`).
 * The lowest SQNRs are the layers that cost the most accuracy. The data is read once into memory; calibration runs once
 * and every one-layer model is made from its statistics (`nodesToQuantize: [node]`), with `keepSensitiveFloat: false`
 * so a sensitive layer shows its own cost. Both models run in @lowbit/runtime. In QDQ form preprocessing also runs
 * once and a layer costs one insert-qdq rewrite and one run over the data (see `oneLayerQuantizer`).
 */
import { createPassContext, subgraphsOf } from '@lowbit/onnx-ir';
import type { Graph, Model } from '@lowbit/onnx-ir';
import { insertQdqDeep } from '@lowbit/rewriters';
import type { Feeds } from '@lowbit/calibrators';
import { loadBackends } from '@lowbit/runtime';
import type { GraphOptimizationLevel, KernelBackend } from '@lowbit/runtime';
import { calibrateStatic } from './calibrate-static.js';
import { calibrateStates, rangesFromStates, rereadable } from './calibration.js';
import { loadInput } from './io.js';
import { qdqOptions, quantizeStatic } from './quantize-static.js';
import { modelOutputs, withRunner } from './runner.js';
import { outputSqnr, type ModelOutputs } from './accuracy/evaluators.js';
import { statesFromSaved } from './saved-statistics.js';
import { planStatic } from './static-plan.js';
import type { CalibrationData, ModelInput, StaticQuantizeOptions } from './types.js';

const WHERE = 'layerSensitivity';

export interface LayerSensitivity {
  readonly node: string;
  readonly opType: string;
  /** Output SQNR (dB) with only this node quantized. */
  readonly sqnrDb: number;
}

export interface SensitivityOptions extends StaticQuantizeOptions {
  /** Called after each layer (progress). */
  readonly onLayer?: (done: number, total: number, layer: LayerSensitivity) => void;
  /** Stops between layers (the signal's reason is thrown). */
  readonly signal?: AbortSignal;
}

/** One entry per compute node (Conv, ConvTranspose, MatMul, Gemm with a name), in graph order (bodies after their enclosing node's graph). */
export async function layerSensitivity(input: ModelInput, data: CalibrationData, options: SensitivityOptions = {}): Promise<LayerSensitivity[]> {
  const model = await loadInput(input, 'layerSensitivity', { allowQuantized: true });
  const { onLayer, signal, ...qo } = options;
  const batches: Feeds[] = [];
  for await (const f of (rereadable(data) as () => Iterable<Feeds> | AsyncIterable<Feeds>)()) batches.push(f);
  // the optimized kernel backends (native, wasm) when they load, shared by every session; the sessions keep the graph
  // as it is (no fusion), so a one-layer model computes exactly its QDQ form
  const backends = await loadBackends('auto');
  try {
    const reference = await modelOutputs(model, batches, backends, 'none');
    return await scoreLayers({ model, batches, reference, backends, graphOptimization: 'none', options: qo, signal, onLayer });
  } finally {
    for (const b of backends) b.dispose?.();
  }
}

/** What `scoreLayers` needs: the float model, its reference outputs on `batches`, loaded backends. */
export interface LayerScoring {
  readonly model: Model;
  readonly batches: readonly Feeds[];
  /** The float model's outputs on `batches` (as `modelOutputs` gives them). */
  readonly reference: ModelOutputs;
  readonly backends: readonly KernelBackend[];
  /** The sessions' graph optimisation (default: the runtime's default, as the tuner's trials run). */
  readonly graphOptimization?: GraphOptimizationLevel;
  /** The static options every one-layer model is made with (node selection and keepSensitiveFloat are overridden). */
  readonly options: StaticQuantizeOptions;
  /** Saved statistics covering every compute node (as `calibrateStatic` makes with keepSensitiveFloat false); calibrates on `batches` when absent. */
  readonly statistics?: Uint8Array;
  /** Nodes not to measure. */
  readonly skip?: ReadonlySet<string>;
  readonly signal?: AbortSignal;
  readonly onLayer?: (done: number, total: number, layer: LayerSensitivity) => void;
}

/**
 * The sensitivity of each compute node (see the file comment), shared by `layerSensitivity` and the accuracy tuner's
 * one-layer ranking: calibration (or the given statistics) once, then one model per node, scored by `outputSqnr`.
 */
export async function scoreLayers(s: LayerScoring): Promise<LayerSensitivity[]> {
  const base: StaticQuantizeOptions = { ...s.options, keepSensitiveFloat: false, nodesToQuantize: undefined };
  const nodes = computeNodes(s.model, s.skip ?? new Set());
  const oneLayer = await oneLayerQuantizer(s.model, () => s.batches, base, s.statistics);
  const sqnr = outputSqnr();
  const out: LayerSensitivity[] = [];
  for (const n of nodes) {
    s.signal?.throwIfAborted();
    const got = await modelOutputs(await oneLayer(n.name), s.batches, s.backends, s.graphOptimization);
    const layer = { node: n.name, opType: n.opType, sqnrDb: (await sqnr.evaluate(got, s.reference)) as number };
    out.push(layer);
    s.onLayer?.(out.length, nodes.length, layer);
  }
  return out;
}

/** Named compute nodes of `m` (every depth, bodies after their enclosing node's graph) not in `skip`. */
export function computeNodes(m: Model, skip: ReadonlySet<string>): { name: string; opType: string }[] {
  const out: { name: string; opType: string }[] = [];
  const walk = (g: Graph): void => {
    for (const n of g.nodes) {
      if (n.name && COMPUTE_OPS.has(n.opType) && !skip.has(n.name)) out.push({ name: n.name, opType: n.opType });
      for (const sg of subgraphsOf(n)) walk(sg);
    }
  };
  walk(m.graph);
  return out;
}

const COMPUTE_OPS = new Set(['Conv', 'ConvTranspose', 'MatMul', 'Gemm']);

/**
 * Makes the one-layer models. QDQ without bias correction (the usual case): preprocessing and calibration run once
 * and each one-layer model is insert-qdq on the preprocessed model with `includeNodes: [node]` and the options
 * quantizeStatic would use (`qdqOptions`), so a layer costs one rewrite. Otherwise (QOperator, bias correction) each
 * one-layer model is a full `quantizeStatic` from saved statistics, output null (only run, never written). Given
 * `statistics` replace the calibration run.
 */
async function oneLayerQuantizer(model: Model, data: CalibrationData, base: StaticQuantizeOptions, saved: Uint8Array | undefined): Promise<(node: string) => Promise<Model>> {
  if (base.biasCorrection || (base.quantFormat ?? 'QDQ') !== 'QDQ') {
    const statistics = saved ?? (await calibrateStatic(model, data, base));
    return (node) => quantizeStatic(model, null, null, { ...base, statistics, nodesToQuantize: [node] });
  }
  const plan = await planStatic(model, base, WHERE, data);
  const states = saved
    ? await statesFromSaved(saved, plan, base, WHERE)
    : (await withRunner(plan.model, base.runner, (r) => calibrateStates(r, data, plan.tensors, plan.method, base.calibration, undefined, WHERE, plan.optional))).states;
  const ranges = rangesFromStates(states, plan.tensors, plan.method, base.calibration, WHERE, plan.optional);
  return async (node) => (await insertQdqDeep(qdqOptions(plan, base, ranges, { ...plan.selection, includeNodes: [node] })).run(plan.model, createPassContext())).model;
}
