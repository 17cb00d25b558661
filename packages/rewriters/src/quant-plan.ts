/**
 * The static quantization plan: ONE decision of which tensors `insert-qdq` quantizes, read by both calibration
 * (`staticQuantTargets`: the tensors to observe) and emission (`insert-qdq`: the Q/DQ it writes). It is plain
 * immutable data computed from the graph and the options alone (no calibrated ranges), so calibration can use it
 * before any range exists.
 *
 * - A `compute` step per selected Conv/MatMul/Gemm that will be quantized: its activation requests (input 0, MatMul's
 *   non-constant input 1, and the output after a sole Relu/Clip consumer, per the `outputs` policy) with dtype and
 *   scheme after node and tensor overrides, its constant weight with dtype/scheme/per-channel axis, and its bias.
 * - A `share` step per selected shape op (Reshape, Transpose, MaxPool, Flatten, Squeeze, Unsqueeze, Concat) that may
 *   run on the quantized value of its input and share its parameters. Whether it does is settled at emission:
 *   its input must have parameters (an optional output without a range has none), and for Concat all inputs must
 *   have equal parameters, which depends on the calibrated ranges.
 * - `excluded`: nodes of a quantizable op type that the plan leaves float, with the reason.
 * - `targets`: the activation tensors calibration observes, i.e. every tensor a compute step requests, each once, in
 *   graph order. A requested value a `share` step derives (Conv -> MaxPool -> Conv) stays a target: with Concat the
 *   derivation depends on the ranges themselves, and otherwise it costs one observed tensor.
 *
 * Emission resolves the steps in order (the first request of a tensor fixes its parameters), which is why the plan
 * keeps per-request specs rather than one entry per tensor.
 */
import { DataType, graphIndex } from '@lowbit/onnx-ir';
import type { Graph, Model, Node } from '@lowbit/onnx-ir';
import { readInt } from './attrs.js';
import { Constants, readersOf } from './edit-support.js';
import { onnxOpset } from './model-opset.js';
import type { IntQuantDType, Scheme } from '@lowbit/qparams';
import type { QParam } from './qparams-bridge.js';
import { isSelected, matches, type NodeOverride, type NodeSelection, type TensorOverride, type TensorRange } from './quant-options.js';

export const COMPUTE_OPS = ['Conv', 'MatMul', 'Gemm'] as const;
export const SHARED_PARAM_OPS = ['Reshape', 'Transpose', 'MaxPool', 'Flatten', 'Squeeze', 'Unsqueeze', 'Concat'] as const;
export const DEFAULT_STATIC_OPS: readonly string[] = [...COMPUTE_OPS, ...SHARED_PARAM_OPS];

/**
 * Which compute-op outputs get Q/DQ: `all` (default; where runtimes fuse DQ -> op -> Q into one integer kernel, and
 * what QOperator conversion needs), or `consumed`: only when a selected shape op reads it (its consumers quantize
 * their own inputs anyway), which halves the quantization points on float-activation chains (e.g. HardSwish).
 */
export type OutputPolicy = 'all' | 'consumed';

/** The options the plan depends on (a subset of `InsertQdqOptions`; no ranges). */
export interface QuantPlanOptions extends NodeSelection {
  readonly activationType?: IntQuantDType;
  readonly weightType?: IntQuantDType;
  readonly activationScheme?: Scheme;
  readonly weightScheme?: Scheme;
  readonly perChannel?: boolean;
  readonly reduceRange?: boolean;
  readonly quantizeBias?: boolean;
  readonly tensorOverrides?: Readonly<Record<string, TensorOverride>>;
  readonly nodeOverrides?: Readonly<Record<string, NodeOverride>>;
  /** Which compute-op outputs are quantized (default `all`). */
  readonly outputs?: OutputPolicy;
}

/** One request for an activation tensor's parameters, as the requesting node wants them. */
export interface PlannedActivation {
  readonly tensor: string;
  readonly dtype: IntQuantDType;
  readonly scheme: Scheme;
  /** False for a compute output: quantized only when it has a range (a branch no batch took has none). */
  readonly required: boolean;
  /** Parameters given outright by a tensor override (no range needed). */
  readonly fixed?: QParam;
  /** A range given by a tensor override (replaces the calibrated one). */
  readonly range?: TensorRange;
}

export interface PlannedWeight {
  readonly tensor: string;
  readonly dtype: IntQuantDType;
  readonly scheme: Scheme;
  readonly reduceRange: boolean;
  /** The per-channel axis; undefined for per-tensor. */
  readonly axis?: number;
  readonly fixed?: QParam;
}

export interface ComputeStep {
  readonly kind: 'compute';
  readonly nodeId: string;
  readonly node: string;
  readonly opType: string;
  /** Input 0, then MatMul's input 1 when it is not a constant. */
  readonly inputs: readonly PlannedActivation[];
  readonly output?: PlannedActivation;
  /** Undefined for a MatMul whose input 1 is not a constant. */
  readonly weight?: PlannedWeight;
  /** A constant 1-D float bias, quantized to int32 when its scale fits (decided at emission). */
  readonly bias?: string;
}

export interface ShareStep {
  readonly kind: 'share';
  readonly nodeId: string;
  readonly node: string;
  readonly opType: string;
  /** The data input (Concat: all inputs). */
  readonly inputs: readonly string[];
  readonly output: string;
}

export type QuantStep = ComputeStep | ShareStep;

export interface ExcludedNode {
  readonly node: string;
  readonly opType: string;
  readonly reason: string;
}

export interface QuantPlan {
  readonly steps: readonly QuantStep[];
  readonly targets: readonly string[];
  readonly excluded: readonly ExcludedNode[];
}

/** The plan for `m`'s main graph (bodies of control-flow nodes are planned as graphs of their own). */
export function planQuantization(m: Model, options: QuantPlanOptions = {}): QuantPlan {
  const g = m.graph;
  const consts = new Constants(g);
  const opset = onnxOpset(m);
  const baseAct = { dtype: options.activationType ?? 'uint8', scheme: options.activationScheme ?? 'asymmetric' } as const;
  const baseW = { dtype: options.weightType ?? 'int8', scheme: options.weightScheme ?? 'symmetric', reduceRange: options.reduceRange ?? false } as const;
  const steps: QuantStep[] = [];
  const excluded: ExcludedNode[] = [];
  const targets = new Set<string>();
  // the dtype each planned value will have (first request wins, shared values inherit), for MaxPool's 8-bit rule
  const planned = new Map<string, IntQuantDType>();
  const exclude = (n: Node, reason: string): void => { excluded.push({ node: n.name, opType: n.opType, reason }); };
  const request = (tensor: string, dtype: IntQuantDType, scheme: Scheme, required: boolean): PlannedActivation => {
    const ov = options.tensorOverrides?.[tensor];
    const fixed = ov?.scale !== undefined && ov.zeroPoint !== undefined ? { scale: ov.scale, zeroPoint: ov.zeroPoint } : undefined;
    const a: PlannedActivation = { tensor, dtype: ov?.dtype ?? dtype, scheme: ov?.scheme ?? scheme, required, ...(fixed ? { fixed } : {}), ...(!fixed && ov?.range ? { range: ov.range } : {}) };
    targets.add(tensor);
    if (!planned.has(tensor)) planned.set(tensor, a.dtype);
    return a;
  };
  for (const n of g.nodes) {
    if (!isSelected(options, n, DEFAULT_STATIC_OPS)) {
      if ((options.opTypes ?? DEFAULT_STATIC_OPS).includes(n.opType)) exclude(n, 'not selected (domain, includeNodes or excludeNodes)');
      continue;
    }
    const nov = options.nodeOverrides?.[n.name];
    if ((COMPUTE_OPS as readonly string[]).includes(n.opType)) {
      if (alreadyQuantized(g, n)) { exclude(n, 'already quantized (an input comes from DequantizeLinear)'); continue; }
      const x = n.inputs[0];
      if (!x || consts.get(x)) { exclude(n, 'input 0 is missing or a constant'); continue; }
      const wName = n.inputs[1];
      const w = consts.get(wName);
      if (n.opType !== 'MatMul' && !w) { exclude(n, 'input 1 (weight) is not a constant'); continue; }
      const aDtype = nov?.activationType ?? baseAct.dtype;
      const aScheme = nov?.activationScheme ?? baseAct.scheme;
      const inputs = [request(x, aDtype, aScheme, true)];
      if (n.opType === 'MatMul' && wName && !w) inputs.push(request(wName, aDtype, aScheme, true));
      const y = fusedOutput(g, n, options);
      const output = y && ((options.outputs ?? 'all') === 'all' || feedsSharedParamOp(g, y, options)) ? request(y, aDtype, aScheme, false) : undefined;
      steps.push({ kind: 'compute', nodeId: n.id, node: n.name, opType: n.opType, inputs, ...(output ? { output } : {}), ...weightAndBias(n, wName, w, consts, options, baseW) });
      continue;
    }
    const x = n.inputs[0];
    const y = n.outputs[0];
    if (!x || !y) { exclude(n, 'no data input or output'); continue; }
    if (n.outputs.slice(1).some((o) => o && readersOf(g, o).length > 0)) { exclude(n, 'a second output is read'); continue; }
    const dtype = planned.get(x);
    if (dtype === undefined) continue; // its input stays float: nothing to share
    // MaxPool (opset 12+) takes 8-bit integers only; the layout ops take any type
    if (n.opType === 'MaxPool' && (dtype !== 'uint8' && dtype !== 'int8' || opset < 12)) { exclude(n, `MaxPool runs on 8-bit integers at opset 12+ only (${dtype}, opset ${opset})`); continue; }
    steps.push({ kind: 'share', nodeId: n.id, node: n.name, opType: n.opType, inputs: n.opType === 'Concat' ? n.inputs.map((i) => i ?? '') : [x], output: y });
    if (!planned.has(y)) planned.set(y, dtype);
  }
  return { steps, targets: [...targets], excluded };
}

function weightAndBias(n: Node, wName: string | null | undefined, w: ReturnType<Constants['get']>, consts: Constants, options: QuantPlanOptions, baseW: { dtype: IntQuantDType; scheme: Scheme; reduceRange: boolean }): { weight?: PlannedWeight; bias?: string } {
  if (!wName || !w) return {};
  const nov = options.nodeOverrides?.[n.name];
  const ov = options.tensorOverrides?.[wName];
  const perChannel = ov?.granularity !== undefined ? ov.granularity === 'per-channel' : nov?.perChannel ?? options.perChannel ?? false;
  const axis = perChannel ? ov?.axis ?? weightAxis(n, w.dims.length) : undefined;
  const weight: PlannedWeight = {
    tensor: wName,
    dtype: ov?.dtype ?? nov?.weightType ?? baseW.dtype,
    scheme: ov?.scheme ?? nov?.weightScheme ?? baseW.scheme,
    reduceRange: baseW.reduceRange,
    ...(axis !== undefined ? { axis } : {}),
    ...(ov?.scale !== undefined && ov.zeroPoint !== undefined ? { fixed: { scale: ov.scale, zeroPoint: ov.zeroPoint } } : {}),
  };
  const bName = n.inputs[2];
  const b = consts.get(bName);
  const bias = (options.quantizeBias ?? true) && bName && b && b.dims.length === 1 && b.dtype === DataType.FLOAT ? bName : undefined;
  return { weight, ...(bias ? { bias } : {}) };
}

function feedsSharedParamOp(g: Graph, y: string, sel: NodeSelection): boolean {
  return readersOf(g, y).some((c) => (SHARED_PARAM_OPS as readonly string[]).includes(c.opType) && isSelected(sel, c, DEFAULT_STATIC_OPS));
}

function alreadyQuantized(g: Graph, n: Node): boolean {
  return n.inputs.slice(0, 2).some((x) => x && graphIndex(g).producer(x)?.node.opType === 'DequantizeLinear');
}

/** The value whose quantization represents `n`'s output: after a sole Relu/Clip consumer when present. */
function fusedOutput(g: Graph, n: Node, sel: NodeSelection): string | undefined {
  const y = n.outputs[0];
  if (!y) return undefined;
  const cons = readersOf(g, y);
  if (cons.length === 0) return undefined; // a graph output read by nobody stays float
  if (cons.length === 1 && !graphIndex(g).isGraphOutput(y) && (cons[0].opType === 'Relu' || cons[0].opType === 'Clip')) {
    const c = cons[0];
    const excluded = sel.excludeNodes !== undefined && matches(sel.excludeNodes, c);
    if (!excluded && c.outputs[0]) return c.outputs[0];
  }
  return y;
}

/** The per-channel axis of a compute op's weight: Conv 0, MatMul last, Gemm 0 when transB else 1. */
export function weightAxis(n: Node, rank: number): number {
  if (n.opType === 'Conv') return 0;
  if (n.opType === 'Gemm') return readInt(n, 'transB', 0) ? 0 : 1;
  return rank - 1;
}
