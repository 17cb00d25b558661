/**
 * Per-layer sensitivity: each compute node (Conv/MatMul/Gemm, main graph and control-flow bodies) quantized alone,
 * everything else float, and the model's output SQNR against the float model on the given data:
 * `SQNR = 10 log10(Σ f² / Σ (f - q)²)` over every output element of every batch (dB; +Infinity when identical).
 * The lowest SQNRs are the layers that cost the most accuracy. The data is read once into memory; calibration runs once
 * and every one-layer model is made from its statistics (`nodesToQuantize: [node]`), with `keepSensitiveFloat: false`
 * so a sensitive layer shows its own cost. Both models run in @lowbit/runtime. In QDQ form preprocessing also runs
 * once and a layer costs one insert-qdq rewrite and one run over the data (see `oneLayerQuantizer`).
 */
import { createPassContext, subgraphsOf } from '@lowbit/onnx-ir';
import type { Graph, Model } from '@lowbit/onnx-ir';
import { insertQdqDeep } from '@lowbit/rewriters';
import type { Feeds } from '@lowbit/calibrators';
import { loadBackends, Session } from '@lowbit/runtime';
import { calibrateStatic } from './calibrate-static.js';
import { calibrateStates, rangesFromStates, rereadable } from './calibration.js';
import { loadInput } from './io.js';
import { qdqOptions, quantizeStatic } from './quantize-static.js';
import { runtimeFeeds, withRunner } from './runner.js';
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

/** One entry per named compute node, in graph order (bodies after their enclosing node's graph). */
export async function layerSensitivity(input: ModelInput, data: CalibrationData, options: SensitivityOptions = {}): Promise<LayerSensitivity[]> {
  const model = await loadInput(input, 'layerSensitivity', { allowQuantized: true });
  const { onLayer, signal: _signal, ...qo } = options;
  const base: StaticQuantizeOptions = { ...qo, keepSensitiveFloat: false, nodesToQuantize: undefined };
  const nodes: { name: string; opType: string }[] = [];
  const walk = (g: Graph): void => {
    for (const n of g.nodes) {
      if (n.name && ['Conv', 'MatMul', 'Gemm'].includes(n.opType)) nodes.push({ name: n.name, opType: n.opType });
      for (const sg of subgraphsOf(n)) walk(sg);
    }
  };
  walk(model.graph);
  const batches: Feeds[] = [];
  for await (const f of (rereadable(data) as () => Iterable<Feeds> | AsyncIterable<Feeds>)()) batches.push(f);
  // the optimized kernel backends (native, wasm) when they load, shared by every session; the sessions keep the graph
  // as it is (no fusion), so a one-layer model computes exactly its QDQ form
  const backends = await loadBackends('auto');
  try {
    const session = (m: Model): Session => Session.fromModel(m, { graphOptimization: 'none', backends });
    const reference = await outputsOf(session(model), batches);
    const oneLayer = await oneLayerQuantizer(model, () => batches, base);
    const out: LayerSensitivity[] = [];
    for (const n of nodes) {
      options.signal?.throwIfAborted();
      const q = await oneLayer(n.name);
      const got = await outputsOf(session(q), batches);
      let sig = 0, noise = 0;
      reference.forEach((r, i) => {
        for (let k = 0; k < r.length; k++) {
          sig += r[k] * r[k];
          noise += (r[k] - got[i][k]) ** 2;
        }
      });
      const layer = { node: n.name, opType: n.opType, sqnrDb: noise === 0 ? Infinity : 10 * Math.log10(sig / noise) };
      out.push(layer);
      onLayer?.(out.length, nodes.length, layer);
    }
    return out;
  } finally {
    for (const b of backends) b.dispose?.();
  }
}

/**
 * Makes the one-layer models. QDQ without bias correction (the usual case): preprocessing and calibration run once
 * and each one-layer model is insert-qdq on the preprocessed model with `includeNodes: [node]` and the options
 * quantizeStatic would use (`qdqOptions`), so a layer costs one rewrite. Otherwise (QOperator, bias correction) each
 * one-layer model is a full `quantizeStatic` from saved statistics, output null (only run, never written).
 */
async function oneLayerQuantizer(model: Model, data: CalibrationData, base: StaticQuantizeOptions): Promise<(node: string) => Promise<Model>> {
  if (base.biasCorrection || (base.quantFormat ?? 'QDQ') !== 'QDQ') {
    const statistics = await calibrateStatic(model, data, base);
    return (node) => quantizeStatic(model, null, null, { ...base, statistics, nodesToQuantize: [node] });
  }
  const plan = await planStatic(model, base, WHERE, data);
  const { states } = await withRunner(plan.model, base.runner, (r) => calibrateStates(r, data, plan.tensors, plan.method, base.calibration, undefined, WHERE, plan.optional));
  const ranges = rangesFromStates(states, plan.tensors, plan.method, base.calibration, WHERE, plan.optional);
  return async (node) => (await insertQdqDeep(qdqOptions(plan, base, ranges, { ...plan.selection, includeNodes: [node] })).run(plan.model, createPassContext())).model;
}

/** Every float output of every batch, flattened in output order. */
async function outputsOf(s: Session, batches: readonly Feeds[]): Promise<Float64Array[]> {
  try {
    return await outputsOfRun(s, batches);
  } finally {
    await s.release();
  }
}

async function outputsOfRun(s: Session, batches: readonly Feeds[]): Promise<Float64Array[]> {
  const res: Float64Array[] = [];
  for (const f of batches) {
    const feeds = runtimeFeeds(f);
    const r = await s.run(feeds);
    for (const name of s.outputNames) {
      const t = r[name];
      if (t.dtype === 'float32' || t.dtype === 'float64') res.push(Float64Array.from(t.data as Float32Array));
    }
  }
  return res;
}
