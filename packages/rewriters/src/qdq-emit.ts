/**
 * Emission for `insert-qdq`, in three steps over a `QuantPlan` (quant-plan.ts):
 *
 * 1. `resolveActivations`: the plan's steps in order, each activation request turned into a scale and zero point
 *    (tensor override, else its calibrated range through qparams); the first request of a tensor fixes them. A
 *    `share` step gives its output its input's parameters when the input has some (Concat: when all inputs have
 *    equal ones).
 * 2. `emitActivations`: QuantizeLinear/DequantizeLinear for the activations; shared-parameter ops read the
 *    quantized value directly and a DQ after them gives float consumers the old name.
 * 3. `emitWeights`: constant weights quantized offline and read through DequantizeLinear; biases to int32.
 */
import { DataType } from '@lowbit/onnx-ir';
import type { Graph, GraphEditor, Node } from '@lowbit/onnx-ir';
import { intAttr } from './attrs.js';
import { RewriteError } from './errors.js';
import type { Constants } from './edit-support.js';
import type { IntQuantDType } from '@lowbit/qparams';
import { Q_DATATYPE, quantizeWith, rangeQParams, weightQParams, type QParamSet } from './qparams-bridge.js';
import { lookupRange, type TensorRange } from './quant-options.js';
import { SHARED_PARAM_OPS, type ComputeStep, type PlannedActivation, type QuantPlan } from './quant-plan.js';
import { floatTensor, makeTensor, tensorFloats } from './tensor-data.js';

export interface ActQ {
  readonly dtype: IntQuantDType;
  readonly scale: number;
  readonly zeroPoint: number;
  /** Set for values that share the parameters of their passthrough op's input. */
  readonly root?: string;
}

type Ranges = ReadonlyMap<string, TensorRange> | Readonly<Record<string, TensorRange>>;

/** Step 1 (see the file comment): the parameters of every activation the emission quantizes, in emission order. */
export function resolveActivations(plan: QuantPlan, ranges: Ranges, pass: string): Map<string, ActQ> {
  const act = new Map<string, ActQ>();
  const want = (a: PlannedActivation, step: ComputeStep): void => {
    if (act.has(a.tensor)) return;
    if (a.fixed) {
      act.set(a.tensor, { dtype: a.dtype, scale: a.fixed.scale, zeroPoint: a.fixed.zeroPoint });
      return;
    }
    const range = a.range ?? lookupRange(ranges, a.tensor);
    if (!range) {
      if (a.required) throw new RewriteError({ pass, nodeName: step.node, opType: step.opType, tensor: a.tensor }, 'no calibrated range for an input to quantize');
      return;
    }
    const p = rangeQParams(range, { dtype: a.dtype, scheme: a.scheme, reduceRange: false });
    act.set(a.tensor, { dtype: a.dtype, scale: p.scale, zeroPoint: p.zeroPoint });
  };
  for (const s of plan.steps) {
    if (s.kind === 'compute') {
      for (const a of s.inputs) want(a, s);
      if (s.output) want(s.output, s);
      continue;
    }
    const x = s.inputs[0];
    if (act.has(s.output)) continue;
    if (s.opType === 'Concat') {
      const qs = s.inputs.map((i) => act.get(i));
      const q0 = qs[0];
      if (!q0 || !qs.every((q) => q && q.dtype === q0.dtype && q.scale === q0.scale && q.zeroPoint === q0.zeroPoint)) continue;
      act.set(s.output, { ...q0, root: rootOf(act, x) });
      continue;
    }
    const q = act.get(x);
    if (q) act.set(s.output, { ...q, root: rootOf(act, x) });
  }
  return act;
}

function rootOf(act: Map<string, ActQ>, name: string): string {
  const q = act.get(name);
  return q?.root ?? name;
}

/** Step 2 (see the file comment). */
export function emitActivations(e: GraphEditor, g: Graph, act: ReadonlyMap<string, ActQ>, consts: Constants): void {
  const qName = new Map<string, string>(); // float value -> its quantized value
  const params = new Map<string, { scale: string; zp: string }>();
  const paramsFor = (root: string, q: ActQ): { scale: string; zp: string } => {
    let p = params.get(root);
    if (!p) {
      p = {
        scale: consts.add(e, floatTensor(e.freshName(`${root}_scale`), [], [q.scale])),
        zp: consts.add(e, makeTensor(e.freshName(`${root}_zero_point`), Q_DATATYPE[q.dtype], [], [q.zeroPoint])),
      };
      params.set(root, p);
    }
    return p;
  };
  const derivedOps = new Set<string>(); // node ids that consume quantized values directly
  for (const n of g.nodes) {
    const y = n.outputs[0];
    const q = y ? act.get(y) : undefined;
    if (q?.root !== undefined && (SHARED_PARAM_OPS as readonly string[]).includes(n.opType)) derivedOps.add(n.id);
  }
  for (const [name, q] of act) {
    if (q.root !== undefined) continue;
    const p = paramsFor(name, q);
    const qn = e.freshName(`${name}_quantized`);
    e.addNode({ opType: 'QuantizeLinear', inputs: [name, p.scale, p.zp], outputs: [qn], name: e.freshName(`${name}_QuantizeLinear`) });
    qName.set(name, qn);
  }
  // a derived op computes the quantized value itself; a DQ after it gives its float consumers the old name
  for (const orig of g.nodes) {
    if (!derivedOps.has(orig.id)) continue;
    const n = e.node(orig);
    const y = n.outputs[0]!;
    const q = act.get(y)!;
    const p = paramsFor(q.root!, q);
    const yq = e.freshName(`${y}_quantized`);
    e.updateNode(n, { outputs: [yq, ...n.outputs.slice(1)] });
    e.addNode({ opType: 'DequantizeLinear', inputs: [yq, p.scale, p.zp], outputs: [y], name: e.freshName(`${y}_DequantizeLinear`) });
    qName.set(y, yq);
  }
  // each non-derived quantized value gets a DQ; consumers read the DQ output (or the Q output if they are derived)
  for (const [name, q] of act) {
    if (q.root !== undefined) continue;
    const p = paramsFor(name, q);
    const dq = e.freshName(`${name}_dequantized`);
    e.addNode({ opType: 'DequantizeLinear', inputs: [qName.get(name)!, p.scale, p.zp], outputs: [dq], name: e.freshName(`${name}_DequantizeLinear`) });
    for (const c of e.users(name)) {
      if (c.opType === 'QuantizeLinear' && c.inputs[0] === name && c.outputs[0] === qName.get(name)) continue;
      const derived = derivedOps.has(c.id);
      const direct = derived && c.opType === 'Concat';
      e.updateNode(c, { inputs: c.inputs.map((i, k) => (i !== name ? i : derived && (k === 0 || direct) ? qName.get(name)! : dq)) });
    }
  }
  // derived values consumed by further derived ops read the quantized form
  for (const orig of g.nodes) {
    if (!derivedOps.has(orig.id)) continue;
    const cur = e.node(orig);
    const inputs = cur.inputs.map((i, k) => (i && (k === 0 || cur.opType === 'Concat') && qName.has(i) && act.get(i)?.root !== undefined ? qName.get(i)! : i));
    if (inputs.some((v, k) => v !== cur.inputs[k])) e.updateNode(cur, { inputs });
  }
  // A shape op that is not run quantized (excluded, or MaxPool on a 16-bit type) but reads one of our DQ outputs
  // gets a Q/DQ pair with the same parameters on its output. That is lossless (its output values are a subset of
  // its input values, all exact multiples of the scale), and it keeps onnxruntime's QDQ propagation from
  // inventing its own Q there (which at opset 21 it builds with mismatched types for int8).
  const dqOut = new Map<string, { scale: string; zp: string }>();
  const current = e.nodes();
  for (const n of current) if (n.opType === 'DequantizeLinear' && n.outputs[0] && params.has(rootOfDq(n, params))) dqOut.set(n.outputs[0], { scale: n.inputs[1]!, zp: n.inputs[2]! });
  for (const n of current) {
    if (!(SHARED_PARAM_OPS as readonly string[]).includes(n.opType) || n.opType === 'Concat' || derivedOps.has(n.id)) continue;
    const src = n.inputs[0] ? dqOut.get(n.inputs[0]) : undefined;
    const y = n.outputs[0];
    if (!src || !y || act.has(y) || n.outputs.slice(1).some((o) => o)) continue;
    const yq = e.freshName(`${y}_quantized`);
    const ydq = e.freshName(`${y}_dequantized`);
    const qy = e.insertAfter(n, { opType: 'QuantizeLinear', inputs: [y, src.scale, src.zp], outputs: [yq], name: e.freshName(`${y}_QuantizeLinear`) });
    e.insertAfter(qy, { opType: 'DequantizeLinear', inputs: [yq, src.scale, src.zp], outputs: [ydq], name: e.freshName(`${y}_DequantizeLinear`) });
    e.replaceAllUses(y, ydq, { except: [qy], graphOutputs: false });
  }
}

/** The activation whose parameters a DQ node uses (its scale initializer's owner), or '' when not ours. */
function rootOfDq(n: Node, params: Map<string, { scale: string; zp: string }>): string {
  for (const [root, p] of params) if (p.scale === n.inputs[1] && p.zp === n.inputs[2]) return root;
  return '';
}

/** Step 3 (see the file comment). */
export function emitWeights(e: GraphEditor, plan: QuantPlan, act: ReadonlyMap<string, ActQ>, consts: Constants, opset: number, pass: string): void {
  const weightCache = new Map<string, { name: string; set: QParamSet }>();
  for (const step of plan.steps) {
    if (step.kind !== 'compute' || !step.weight) continue;
    const n = e.node(step.nodeId);
    const spec = step.weight;
    const wName = spec.tensor;
    const w = consts.get(wName)!;
    const axis = spec.axis;
    if (axis !== undefined && opset < 13) {
      throw new RewriteError({ pass, nodeName: n.name, opType: n.opType, inputIndex: 1, expected: 'opset >= 13 for per-channel', actual: `opset ${opset}` }, 'run opset-upgrade first');
    }
    const key = `${wName}|${axis}|${spec.dtype}|${spec.scheme}`;
    let cached = weightCache.get(key);
    if (!cached) {
      const values = tensorFloats(w, pass);
      const set: QParamSet = spec.fixed
        ? { scales: Float32Array.of(spec.fixed.scale), zeroPoints: Int32Array.of(spec.fixed.zeroPoint), dims: [] }
        : weightQParams(values, w.dims, spec, axis);
      const ints = quantizeWith(values, w.dims, set, spec.dtype, set.dims.length ? axis : undefined);
      const wq = consts.add(e, makeTensor(e.freshName(`${wName}_quantized`), Q_DATATYPE[spec.dtype], w.dims, ints));
      const ws = consts.add(e, floatTensor(e.freshName(`${wName}_scale`), set.dims, set.scales));
      const wz = consts.add(e, makeTensor(e.freshName(`${wName}_zero_point`), Q_DATATYPE[spec.dtype], set.dims, set.zeroPoints));
      const out = e.freshName(`${wName}_dequantized`);
      e.addNode({ opType: 'DequantizeLinear', inputs: [wq, ws, wz], outputs: [out], attributes: set.dims.length ? [intAttr('axis', axis!)] : [], name: e.freshName(`${wName}_DequantizeLinear`) });
      cached = { name: out, set };
      weightCache.set(key, cached);
    }
    e.setInput(n, 1, cached.name);
    const xq = act.get(step.inputs[0].tensor);
    if (step.bias && xq) emitBias(e, n, step.bias, cached.set, xq.scale, consts, pass);
  }
}

/**
 * A 1-D float bias as int32 with `scale_b[c] = fround(scale_x * scale_w[c])`, zero point 0. A bias that int32 cannot
 * hold at that scale (16-bit activations and weights, tiny weight scales) would saturate; it stays float instead
 * (the op then runs as DQ -> op in float).
 */
function emitBias(e: GraphEditor, n: Node, bName: string, set: QParamSet, xScale: number, consts: Constants, pass: string): void {
  const b = consts.get(bName)!;
  const bv = tensorFloats(b, pass);
  const c = bv.length;
  if (set.scales.length !== 1 && set.scales.length !== c) return;
  const scales = new Float32Array(set.scales.length);
  for (let i = 0; i < scales.length; i++) scales[i] = Math.fround(xScale * set.scales[i]);
  const bset: QParamSet = { scales, zeroPoints: new Int32Array(scales.length), dims: set.dims.length ? [c] : [] };
  if (bv.some((v, i) => Math.abs(v / scales[scales.length === 1 ? 0 : i]) > 2147483647)) return;
  const ints = quantizeWith(bv, b.dims, bset, 'int32', bset.dims.length ? 0 : undefined);
  const bq = consts.add(e, makeTensor(e.freshName(`${bName}_quantized`), DataType.INT32, b.dims, ints));
  const bs = consts.add(e, floatTensor(e.freshName(`${bName}_scale`), bset.dims, scales));
  const bz = consts.add(e, makeTensor(e.freshName(`${bName}_zero_point`), DataType.INT32, bset.dims, bset.zeroPoints));
  const out = e.freshName(`${bName}_dequantized`);
  e.addNode({ opType: 'DequantizeLinear', inputs: [bq, bs, bz], outputs: [out], attributes: bset.dims.length ? [intAttr('axis', 0)] : [], name: e.freshName(`${bName}_DequantizeLinear`) });
  e.setInput(n, 2, out);
}
