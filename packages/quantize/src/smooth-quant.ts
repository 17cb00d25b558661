/**
 * SmoothQuant (Xiao et al. 2023) for MatMul: moves activation outliers into the weights before static quantization.
 * For a MatMul `X [.., K] x W [K, N]` (W constant, X not), with `a[j] = max |X[.., j]|` over the calibration data and
 * `w[j] = max |W[j, :]|`, the smoothing factor is `s[j] = a[j]^alpha / w[j]^(1 - alpha)` (clamped to [1e-5, 1e5]; 1
 * where either maximum is 0). The model computes `(X * (1/s)) x (diag(s) W)`, the same function: a `Mul` by the
 * constant `1/s` is inserted before the MatMul and the weight is replaced by `diag(s) W` (float32, `Math.fround`).
 * Per-tensor activation quantization of `X / s` then loses far less to the outlier channels. Example: a[j] = 100,
 * w[j] = 1, alpha 0.5 -> s[j] = 10: the channel's activations shrink to 10, its weights grow to 10.
 * Main graph only; a weight shared by several nodes is left alone.
 */
import { editGraph, graphIndex, tensorFromValues, tensorValuesSync, DataType } from '@lowbit/onnx-ir';
import type { Model, Node, TensorRef } from '@lowbit/onnx-ir';
import type { CalibrationData, Feeds, ObservableModel } from '@lowbit/calibrators';
import { rereadable } from './calibration.js';

interface Target {
  readonly node: Node;
  readonly x: string;
  readonly w: TensorRef;
}

/** The smoothed model (the same object when no MatMul qualifies). */
export async function smoothQuant(m: Model, runner: ObservableModel, data: CalibrationData, alpha: number): Promise<Model> {
  const g = m.graph;
  const idx = graphIndex(g);
  const targets: Target[] = [];
  for (const n of g.nodes) {
    if (n.opType !== 'MatMul' || !n.inputs[0] || !n.inputs[1]) continue;
    const w = idx.initializer(n.inputs[1]);
    if (!w || idx.input(n.inputs[1]) || w.dims.length !== 2 || w.dtype !== DataType.FLOAT || idx.initializer(n.inputs[0])) continue;
    if (idx.consumers(n.inputs[1]).length !== 1) continue;
    targets.push({ node: n, x: n.inputs[0], w });
  }
  if (targets.length === 0) return m;
  const amax = new Map<string, Float64Array>();
  const names = [...new Set(targets.map((t) => t.x))];
  for await (const feeds of (rereadable(data) as () => Iterable<Feeds> | AsyncIterable<Feeds>)()) {
    await runner.run(feeds, {
      observe: names,
      onValue: (name, v) => {
        const d = v.data as Float32Array;
        const K = v.dims[v.dims.length - 1];
        let a = amax.get(name);
        if (!a) amax.set(name, (a = new Float64Array(K)));
        for (let i = 0; i < d.length; i++) {
          const j = i % K;
          const x = Math.abs(d[i]);
          if (x > a[j]) a[j] = x;
        }
      },
    });
  }
  const edited = editGraph(g, (e) => {
    for (const t of targets) {
      const a = amax.get(t.x);
      const [K, N] = t.w.dims;
      if (!a || a.length !== K) continue;
      const w = Float32Array.from(tensorValuesSync(t.w).data as Float32Array);
      const s = new Float32Array(K);
      for (let j = 0; j < K; j++) {
        let wm = 0;
        for (let c = 0; c < N; c++) wm = Math.max(wm, Math.abs(w[j * N + c]));
        const v = a[j] > 0 && wm > 0 ? a[j] ** alpha / wm ** (1 - alpha) : 1;
        s[j] = Math.fround(Math.min(1e5, Math.max(1e-5, v)));
      }
      const ws = new Float32Array(K * N);
      for (let j = 0; j < K; j++) for (let c = 0; c < N; c++) ws[j * N + c] = Math.fround(w[j * N + c] * s[j]);
      const wName = e.freshName(`${t.w.name}_smoothed`);
      const invName = e.freshName(`${t.x}_smooth_scale`);
      const xs = e.freshName(`${t.x}_smoothed`);
      e.addInitializer(tensorFromValues(wName, DataType.FLOAT, [K, N], ws));
      e.addInitializer(tensorFromValues(invName, DataType.FLOAT, [K], s.map((v) => Math.fround(1 / v))));
      e.addNode({ opType: 'Mul', inputs: [t.x, invName], outputs: [xs], name: e.freshName(`${t.node.name || 'MatMul'}_smooth`) });
      e.updateNode(t.node.id, { inputs: [xs, wName, ...t.node.inputs.slice(2)] });
    }
  });
  if (edited === g) return m;
  const used = graphIndex(edited);
  const pruned = editGraph(edited, (e) => {
    for (const t of targets) if (used.consumers(t.w.name).length === 0 && used.captures(t.w.name).length === 0) e.removeInitializer(t.w.name);
  });
  return { ...m, graph: pruned };
}
