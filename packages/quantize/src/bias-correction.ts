/**
 * Empirical bias correction (after Nagel et al. 2019, "Data-Free Quantization...", §4.2, measured on data instead of
 * derived from BatchNorm statistics): quantized weights shift each output channel's mean, `E[Ŵx] != E[Wx]`. For every
 * main-graph Conv/MatMul/Gemm of a QDQ model whose bias is an int32 tensor read through a DequantizeLinear, the float
 * and the quantized model are run over the calibration data and the per-channel mean of the node's output compared:
 * `delta[c] = mean(y_float[c]) - mean(y_quant[c])` (channel axis 1 for Conv, the last axis for MatMul/Gemm), and the
 * bias integers move by `roundHalfEven(delta[c] / scale_b[c])`, saturated to int32. All nodes are corrected from one
 * pair of runs. Example: scale_b = 1e-4, delta = 0.0123 -> b_q += 123.
 */
import { DataType, editGraph, graphIndex, tensorFromValues, tensorValuesSync } from '@lowbit/onnx-ir';
import type { Model } from '@lowbit/onnx-ir';
import type { CalibrationData, Feeds, ObservableModel } from '@lowbit/calibrators';
import { roundHalfEven } from '@lowbit/qparams';
import { rereadable } from './calibration.js';
import { closeAfter } from './runner.js';

interface Site {
  readonly output: string;
  readonly channelAxis: 'second' | 'last';
  readonly bias: string;
  readonly scale: string;
}

async function channelMeans(runner: ObservableModel, data: CalibrationData, sites: readonly Site[]): Promise<Map<string, Float64Array>> {
  const sums = new Map<string, { s: Float64Array; n: number }>();
  const axis = new Map(sites.map((s) => [s.output, s.channelAxis]));
  for await (const feeds of (rereadable(data) as () => Iterable<Feeds> | AsyncIterable<Feeds>)()) {
    await runner.run(feeds, {
      observe: sites.map((s) => s.output),
      onValue: (name, v) => {
        const d = v.data as Float32Array;
        const dims = v.dims;
        const second = axis.get(name) === 'second';
        const C = second ? dims[1] : dims[dims.length - 1];
        const inner = second ? dims.slice(2).reduce((a, b) => a * b, 1) : 1;
        let e = sums.get(name);
        if (!e) sums.set(name, (e = { s: new Float64Array(C), n: 0 }));
        for (let i = 0; i < d.length; i++) e.s[second ? Math.floor(i / inner) % C : i % C] += d[i];
        e.n += d.length / C;
      },
    });
  }
  return new Map([...sums].map(([k, { s, n }]) => [k, s.map((x) => x / n)]));
}

/** `q` with corrected int32 biases (the same object when nothing qualifies). */
export async function correctBiases(floatModel: Model, q: Model, runners: (m: Model) => Promise<ObservableModel>, data: CalibrationData): Promise<Model> {
  const g = q.graph;
  const idx = graphIndex(g);
  const floatNames = new Set(floatModel.graph.nodes.flatMap((n) => n.outputs));
  const sites: Site[] = [];
  for (const n of g.nodes) {
    if (!['Conv', 'MatMul', 'Gemm'].includes(n.opType) || !n.inputs[2] || !n.outputs[0] || !floatNames.has(n.outputs[0])) continue;
    const dq = idx.producer(n.inputs[2])?.node;
    if (dq?.opType !== 'DequantizeLinear' || !dq.inputs[0] || !dq.inputs[1]) continue;
    const b = idx.initializer(dq.inputs[0]);
    if (!b || b.dtype !== DataType.INT32 || b.dims.length !== 1 || !idx.initializer(dq.inputs[1])) continue;
    if (idx.consumers(dq.inputs[0]).length !== 1) continue;
    sites.push({ output: n.outputs[0], channelAxis: n.opType === 'Conv' ? 'second' : 'last', bias: dq.inputs[0], scale: dq.inputs[1] });
  }
  if (sites.length === 0) return q;
  const mf = await closeAfter(await runners(floatModel), (r) => channelMeans(r, data, sites));
  const mq = await closeAfter(await runners(q), (r) => channelMeans(r, data, sites));
  const edited = editGraph(g, (e) => {
    for (const s of sites) {
      const a = mf.get(s.output);
      const b = mq.get(s.output);
      const bias = idx.initializer(s.bias)!;
      const ints = Int32Array.from(tensorValuesSync(bias).data as Int32Array);
      const scales = tensorValuesSync(idx.initializer(s.scale)!).data as Float32Array;
      if (!a || !b || a.length !== ints.length) continue;
      for (let c = 0; c < ints.length; c++) {
        const sc = scales[scales.length === 1 ? 0 : c];
        const v = ints[c] + roundHalfEven((a[c] - b[c]) / sc);
        ints[c] = Math.max(-2147483648, Math.min(2147483647, v));
      }
      e.removeInitializer(s.bias);
      e.addInitializer(tensorFromValues(s.bias, DataType.INT32, bias.dims, ints));
    }
  });
  return edited === g ? q : { ...q, graph: edited };
}

