/**
 * Per-layer sensitivity: each compute node (Conv/MatMul/Gemm, main graph and control-flow bodies) quantized alone,
 * everything else float, and the model's output SQNR against the float model on the given data:
 * `SQNR = 10 log10(Σ f² / Σ (f - q)²)` over every output element of every batch (dB; +Infinity when identical).
 * The lowest SQNRs are the layers that cost the most accuracy. Calibration runs once (`calibrateStatic`); every
 * one-layer model is made from those statistics (`nodesToQuantize: [node]`), with `keepSensitiveFloat: false` so a
 * sensitive layer shows its own cost. Both models run in @lowbit/runtime.
 */
import { subgraphsOf } from '@lowbit/onnx-ir';
import type { Graph } from '@lowbit/onnx-ir';
import type { Feeds } from '@lowbit/calibrators';
import { Session, Tensor } from '@lowbit/runtime';
import type { DType } from '@lowbit/runtime';
import { calibrateStatic } from './calibrate-static.js';
import { rereadable } from './calibration.js';
import { loadInput } from './io.js';
import { quantizeStatic } from './quantize-static.js';
import type { CalibrationData, ModelInput, StaticQuantizeOptions } from './types.js';

export interface LayerSensitivity {
  readonly node: string;
  readonly opType: string;
  /** Output SQNR (dB) with only this node quantized. */
  readonly sqnrDb: number;
}

export interface SensitivityOptions extends StaticQuantizeOptions {
  /** Called after each layer (progress). */
  readonly onLayer?: (done: number, total: number, layer: LayerSensitivity) => void;
}

/** One entry per named compute node, in graph order (bodies after their enclosing node's graph). */
export async function layerSensitivity(input: ModelInput, data: CalibrationData, options: SensitivityOptions = {}): Promise<LayerSensitivity[]> {
  const model = await loadInput(input, 'layerSensitivity', { allowQuantized: true });
  const { onLayer, ...qo } = options;
  const base: StaticQuantizeOptions = { ...qo, keepSensitiveFloat: false, nodesToQuantize: undefined };
  const statistics = await calibrateStatic(model, data, base);
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
  const reference = await outputsOf(Session.fromModel(model, { graphOptimization: 'none' }), batches);
  const out: LayerSensitivity[] = [];
  {
    for (const n of nodes) {
      // output null: the one-layer model is only run, never written.
      const q = await quantizeStatic(model, null, null, { ...base, statistics, nodesToQuantize: [n.name] });
      const got = await outputsOf(Session.fromModel(q, { graphOptimization: 'none' }), batches);
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
  }
  return out;
}

/** Every float output of every batch, flattened in output order. */
async function outputsOf(s: Session, batches: readonly Feeds[]): Promise<Float64Array[]> {
  const res: Float64Array[] = [];
  for (const f of batches) {
    const feeds: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(f)) feeds[k] = v instanceof Tensor ? v : new Tensor(v.dtype as DType, v.data as never, v.dims);
    const r = await s.run(feeds);
    for (const name of s.outputNames) {
      const t = r[name];
      if (t.dtype === 'float32' || t.dtype === 'float64') res.push(Float64Array.from(t.data as Float32Array));
    }
  }
  return res;
}
