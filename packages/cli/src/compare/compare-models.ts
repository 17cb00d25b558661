import type { Model } from '@lowbit/onnx-ir';
import { Session, type Tensor } from '@lowbit/runtime';
import { ErrorAccumulator, Top1Accumulator, type ErrorMetrics, type Top1Metrics } from './metrics.js';
import { asFloatValues, planLayers, type PlannedLayer } from './layer-plan.js';

export type Feeds = Record<string, Tensor>;

export interface OutputResult {
  readonly name: string;
  /** The paired output of the quantized model (outputs pair by position). */
  readonly quantizedName: string;
  readonly dims: readonly number[];
  readonly metrics: ErrorMetrics;
  /** Argmax over the last axis per row; undefined when the last dim is 1 or the output has rank 0. */
  readonly top1: Top1Metrics | undefined;
  /** Why no metrics could be computed (e.g. non-numeric dtype), if so. */
  readonly skipped?: string;
}

export interface LayerResult {
  /** 0-based position among the compared layers (the SVG's x). */
  readonly index: number;
  readonly name: string;
  readonly opType: string;
  readonly quantizedName: string;
  /** The quantized value's dtype; integer values were dequantized with their scale/zero point. */
  readonly quantizedDtype: string;
  readonly metrics: ErrorMetrics;
}

export interface SkippedLayer {
  readonly name: string;
  readonly reason: string;
}

export interface CompareResult {
  readonly samples: number;
  readonly outputs: readonly OutputResult[];
  /** In the float model's topological order. */
  readonly layers: readonly LayerResult[];
  /** Layers present in both models that could not be compared, with the reason. */
  readonly skipped: readonly SkippedLayer[];
  /** Float activations with no counterpart in the quantized model (fused or folded away). */
  readonly notInQuantized: number;
}

interface LayerState {
  readonly plan: PlannedLayer;
  readonly acc: ErrorAccumulator;
  quantizedDtype?: string;
  /** Set once the layer is found not comparable; it is then left out. */
  skip?: string;
  /** The float value is not float32/float64 (shape arithmetic, indices): not an activation, dropped silently. */
  notFloat?: boolean;
}

interface OutputState {
  readonly name: string;
  readonly quantizedName: string;
  readonly acc: ErrorAccumulator;
  readonly top1: Top1Accumulator;
  dims?: readonly number[];
  skip?: string;
}

/**
 * Runs the float and the quantized model on the same samples and accumulates, per graph output and per layer (every
 * float activation the quantized model also holds, see {@link planLayers}), the metrics of `metrics.ts`. The float
 * model is the reference. Only one sample's activations are held at a time.
 */
export async function compareModels(floatModel: Model, quantModel: Model, samples: AsyncIterable<Feeds>): Promise<CompareResult> {
  const plan = planLayers(floatModel, quantModel);
  const layers: LayerState[] = plan.layers.map((p) => ({ plan: p, acc: new ErrorAccumulator() }));
  const byQuantName = new Map(layers.map((l) => [l.plan.quantName, l]));
  // Layer values are observed per run: both models run as written (no fusion), so every layer name stays observable.
  const floatSession = await Session.create(floatModel, { graphOptimization: 'none' });
  const quantSession = await Session.create(quantModel, { graphOptimization: 'none' });
  try {
    return await compareWith(floatSession, quantSession, layers, byQuantName, samples, plan.notInQuantized);
  } finally {
    // Each session holds its backend's thread pool and packed weights: free them when the comparison ends.
    await Promise.all([floatSession.release(), quantSession.release()]);
  }
}

async function compareWith(
  floatSession: Session, quantSession: Session, layers: LayerState[], byQuantName: ReadonlyMap<string, LayerState>,
  samples: AsyncIterable<Feeds>, notInQuantized: CompareResult['notInQuantized'],
): Promise<CompareResult> {
  const outputs: OutputState[] = floatSession.outputNames.map((name, i) => ({
    name, quantizedName: quantSession.outputNames[i], acc: new ErrorAccumulator(), top1: new Top1Accumulator(),
  }));
  const floatObserve = layers.map((l) => l.plan.name);
  let n = 0;
  for await (const feeds of samples) {
    n++;
    const floatValues = new Map<string, Tensor>();
    const floatOut = await floatSession.run(feeds, {
      observe: floatObserve.filter((_, i) => !layers[i].skip && !layers[i].notFloat),
      onValue: (name, t) => floatValues.set(name, t),
    });
    const quantOut = await quantSession.run(feeds, {
      observe: layers.filter((l) => !l.skip && !l.notFloat).map((l) => l.plan.quantName),
      onValue: (name, t) => {
        const layer = byQuantName.get(name);
        if (layer) addLayer(layer, floatValues.get(layer.plan.name), t);
      },
    });
    floatValues.clear();
    for (const o of outputs) addOutput(o, floatOut[o.name], quantOut[o.quantizedName]);
  }
  const compared = layers.filter((l) => !l.skip && !l.notFloat && l.quantizedDtype !== undefined);
  return {
    samples: n,
    outputs: outputs.map((o) => ({
      name: o.name, quantizedName: o.quantizedName, dims: o.dims ?? [], metrics: o.acc.result(),
      top1: o.dims && o.dims.length > 0 && o.dims[o.dims.length - 1] > 1 ? o.top1.result() : undefined,
      ...(o.skip ? { skipped: o.skip } : {}),
    })),
    layers: compared.map((l, index) => ({
      index, name: l.plan.name, opType: l.plan.opType, quantizedName: l.plan.quantName,
      quantizedDtype: l.quantizedDtype ?? '', metrics: l.acc.result(),
    })),
    skipped: layers
      .filter((l) => !l.notFloat && (l.skip || (n > 0 && l.quantizedDtype === undefined)))
      .map((l) => ({ name: l.plan.name, reason: l.skip ?? 'the quantized model did not report it' })),
    notInQuantized,
  };
}

function addLayer(layer: LayerState, ref: Tensor | undefined, q: Tensor): void {
  if (layer.skip || layer.notFloat) return;
  if (!ref) {
    layer.skip = 'the float model did not produce it';
    return;
  }
  if (ref.dtype !== 'float32' && ref.dtype !== 'float64') {
    layer.notFloat = true;
    return;
  }
  if (ref.dims.join(',') !== q.dims.join(',')) {
    layer.skip = `shape [${q.dims.join(', ')}] in the quantized model, [${ref.dims.join(', ')}] in the float model`;
    return;
  }
  const values = asFloatValues(q, layer.plan.qparams);
  if (!values) {
    layer.skip = `the quantized value is ${q.dtype} with no known per-tensor scale/zero point`;
    return;
  }
  layer.quantizedDtype = q.dtype;
  layer.acc.add(ref.data as Float32Array, values);
}

const NUMERIC = new Set(['float32', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32']);

function addOutput(o: OutputState, ref: Tensor | undefined, q: Tensor | undefined): void {
  if (o.skip || !ref || !q) {
    o.skip ??= 'missing from the results';
    return;
  }
  if (!NUMERIC.has(ref.dtype) || !NUMERIC.has(q.dtype)) {
    o.skip = `dtype ${ref.dtype} / ${q.dtype} is not compared`;
    return;
  }
  if (ref.dims.join(',') !== q.dims.join(',')) {
    o.skip = `shape [${q.dims.join(', ')}] in the quantized model, [${ref.dims.join(', ')}] in the float model`;
    return;
  }
  o.dims ??= ref.dims;
  const r = ref.data as ArrayLike<number>;
  const t = q.data as ArrayLike<number>;
  o.acc.add(r, t);
  const classes = ref.dims.length > 0 ? ref.dims[ref.dims.length - 1] : 1;
  if (classes > 1) o.top1.add(r, t, classes);
}
