/**
 * SmoothQuant (Xiao et al. 2023) for MatMul: moves activation outliers into the weights before static quantization.
 * For a MatMul `X [.., K] x W [K, N]` (W constant, X not), with `a[j] = max |X[.., j]|` over the calibration data and
 * `w[j] = max |W[j, :]|`, the smoothing factor is `s[j] = a[j]^alpha / w[j]^(1 - alpha)` (clamped to [1e-5, 1e5]; 1
 * where either maximum is 0). The model computes `(X * (1/s)) x (diag(s) W)`, the same function: a `Mul` by the
 * constant `1/s` is inserted before the MatMul and the weight is replaced by `diag(s) W` (float32, `Math.fround`).
 * Per-tensor activation quantization of `X / s` then loses far less to the outlier channels. Example: a[j] = 100,
 * w[j] = 1, alpha 0.5 -> s[j] = 10: the channel's activations shrink to 10, its weights grow to 10.
 *
 * `alpha: 'search'` picks alpha per MatMul from the grid 0, 0.05, ..., 1: for each candidate the layer is simulated
 * quantized on (up to a budget of) the calibration rows, `Q(X / s) x Q(diag(s) W)` with the activation range the
 * rows' min/max and the weight quantized as insert-qdq will (see {@link SmoothQuantSim}), and the alpha with the least
 * squared output error against the float `X x W` wins (ties: the smaller alpha). Simulation in float32 with
 * round-half-even through qparams (`chooseQParams`, `quantize`, `dequantize`), accumulation in float64.
 * Main graph only; a weight shared by several nodes is left alone.
 */
import { editGraph, graphIndex, tensorFromValues, tensorValuesSync, DataType } from '@lowbit/onnx-ir';
import type { Model, Node, TensorRef } from '@lowbit/onnx-ir';
import { chooseQParams, dequantize, quantize, type QuantDType, type Scheme } from '@lowbit/qparams';
import type { CalibrationData, Feeds, ObservableModel } from '@lowbit/calibrators';
import { rereadable } from './calibration.js';

/** How the search simulates the quantization insert-qdq will apply (defaults: uint8 asymmetric x int8 symmetric per-tensor). */
export interface SmoothQuantSim {
  readonly activationType?: QuantDType;
  readonly activationScheme?: Scheme;
  readonly weightType?: QuantDType;
  readonly weightScheme?: Scheme;
  /** Weight scales per output column (axis 1), as insert-qdq's perChannel does for MatMul. */
  readonly perChannel?: boolean;
  readonly reduceRange?: boolean;
}

/** The smoothed model (the same object when no MatMul qualifies) and the alpha used per MatMul (by node name). */
export interface SmoothQuantResult {
  readonly model: Model;
  readonly alphas: ReadonlyMap<string, number>;
}

/** The alpha grid of the search: 0, 0.05, ..., 1. */
export const SMOOTH_QUANT_ALPHAS: readonly number[] = Array.from({ length: 21 }, (_, i) => i / 20);
/** Multiply-adds the search may spend per MatMul and candidate (rows kept = budget / (K N), at least 8). */
const SEARCH_BUDGET = 2 ** 24;

interface Target {
  readonly node: Node;
  readonly x: string;
  readonly w: TensorRef;
}

interface Observed {
  readonly amax: Float64Array;
  /** Calibration rows of X kept for the search (row-major [rows, K]). */
  readonly rows: number[];
  readonly maxRows: number;
}

export async function smoothQuant(m: Model, runner: ObservableModel, data: CalibrationData, alpha: number | 'search', sim: SmoothQuantSim = {}): Promise<SmoothQuantResult> {
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
  if (targets.length === 0) return { model: m, alphas: new Map() };
  const search = alpha === 'search';
  const obs = new Map<string, Observed>();
  for (const t of targets) {
    const [K, N] = t.w.dims;
    if (!obs.has(t.x)) obs.set(t.x, { amax: new Float64Array(K), rows: [], maxRows: search ? Math.max(8, Math.floor(SEARCH_BUDGET / (K * N))) : 0 });
  }
  for await (const feeds of (rereadable(data) as () => Iterable<Feeds> | AsyncIterable<Feeds>)()) {
    await runner.run(feeds, {
      observe: [...obs.keys()],
      onValue: (name, v) => {
        const d = v.data as Float32Array;
        const o = obs.get(name)!;
        const K = o.amax.length;
        if (v.dims[v.dims.length - 1] !== K) return;
        const a = o.amax;
        for (let i = 0; i < d.length; i++) {
          const j = i % K;
          const x = Math.abs(d[i]);
          if (x > a[j]) a[j] = x;
        }
        for (let i = 0; i < d.length && o.rows.length < o.maxRows * K; i++) o.rows.push(d[i]);
      },
    });
  }
  const alphas = new Map<string, number>();
  const edited = editGraph(g, (e) => {
    for (const t of targets) {
      const o = obs.get(t.x)!;
      const [K, N] = t.w.dims;
      if (!o.amax.some((v) => v > 0)) continue;
      const w = Float32Array.from(tensorValuesSync(t.w).data as Float32Array);
      const chosen = search ? searchAlpha(Float32Array.from(o.rows), o.amax, w, K, N, sim) : alpha;
      alphas.set(t.node.name, chosen);
      const s = smoothingFactors(o.amax, w, K, N, chosen);
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
  if (edited === g) return { model: m, alphas };
  const used = graphIndex(edited);
  const pruned = editGraph(edited, (e) => {
    for (const t of targets) if (used.consumers(t.w.name).length === 0 && used.captures(t.w.name).length === 0) e.removeInitializer(t.w.name);
  });
  return { model: { ...m, graph: pruned }, alphas };
}

/** `s[j] = a[j]^alpha / w[j]^(1 - alpha)`, clamped to [1e-5, 1e5], 1 where a channel's maximum is 0 (float32). */
export function smoothingFactors(amax: Float64Array, w: Float32Array, K: number, N: number, alpha: number): Float32Array {
  const s = new Float32Array(K);
  for (let j = 0; j < K; j++) {
    let wm = 0;
    for (let c = 0; c < N; c++) wm = Math.max(wm, Math.abs(w[j * N + c]));
    const v = amax[j] > 0 && wm > 0 ? amax[j] ** alpha / wm ** (1 - alpha) : 1;
    s[j] = Math.fround(Math.min(1e5, Math.max(1e-5, v)));
  }
  return s;
}

/** The grid alpha with the least simulated output error of the layer on `x` ([rows, K]); ties: the smaller alpha. */
export function searchAlpha(x: Float32Array, amax: Float64Array, w: Float32Array, K: number, N: number, sim: SmoothQuantSim): number {
  const errs = alphaErrors(x, amax, w, K, N, sim, SMOOTH_QUANT_ALPHAS);
  let best = 0;
  for (let i = 1; i < errs.length; i++) if (errs[i] < errs[best]) best = i;
  return SMOOTH_QUANT_ALPHAS[best];
}

/** Squared output error `|| Q(X / s) Q(diag(s) W) - X W ||^2` of the layer on `x` ([rows, K]) for each alpha. */
export function alphaErrors(x: Float32Array, amax: Float64Array, w: Float32Array, K: number, N: number, sim: SmoothQuantSim, alphas: readonly number[]): number[] {
  const rows = x.length / K;
  const ref = new Float64Array(rows * N);
  matmul(x, w, rows, K, N, ref);
  const y = new Float64Array(rows * N);
  return alphas.map((alpha) => {
    const s = smoothingFactors(amax, w, K, N, alpha);
    const xs = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) xs[i] = Math.fround(x[i] * Math.fround(1 / s[i % K]));
    const ws = new Float32Array(K * N);
    for (let j = 0; j < K; j++) for (let c = 0; c < N; c++) ws[j * N + c] = Math.fround(w[j * N + c] * s[j]);
    const xq = fakeQuant(xs, [rows, K], false, { dtype: sim.activationType ?? 'uint8', scheme: sim.activationScheme ?? 'asymmetric' });
    const wq = fakeQuant(ws, [K, N], sim.perChannel ?? false, { dtype: sim.weightType ?? 'int8', scheme: sim.weightScheme ?? 'symmetric', reduceRange: sim.reduceRange ?? false });
    y.fill(0);
    matmul(xq, wq, rows, K, N, y);
    let err = 0;
    for (let i = 0; i < y.length; i++) err += (y[i] - ref[i]) ** 2;
    return err;
  });
}

function matmul(a: Float32Array, b: Float32Array, rows: number, K: number, N: number, out: Float64Array): void {
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < K; k++) {
      const v = a[r * K + k];
      if (v === 0) continue;
      for (let c = 0; c < N; c++) out[r * N + c] += v * b[k * N + c];
    }
  }
}

/**
 * Quantize-dequantize `v` (float32, row-major `dims` [rows, cols]) as the quantizer would: qparams' `chooseQParams`
 * (min/max per tensor, or per column when `perColumn`), `quantize`, `dequantize`.
 */
function fakeQuant(v: Float32Array, dims: readonly [number, number], perColumn: boolean, opts: { dtype: QuantDType; scheme: Scheme; reduceRange?: boolean }): Float32Array {
  const p = chooseQParams({ data: v, dims }, { ...opts, ...(perColumn ? { granularity: 'per-axis', axis: 1 } : {}) });
  return dequantize(quantize(v, dims, p), dims, p) as Float32Array;
}
