/**
 * Pass `insert-qdq`: static quantization in QDQ form.
 *
 * - Compute ops (Conv, MatMul, Gemm): the activation input gets `QuantizeLinear -> DequantizeLinear` with parameters
 *   from its calibrated range; a constant weight is quantized offline (per-tensor, or per-channel on axis 0 for Conv,
 *   axis 1 for MatMul `[K,N]` and Gemm with transB=0, axis 0 for Gemm with transB=1) and read through a
 *   `DequantizeLinear`; a constant 1-D bias becomes int32 with `scale_b[c] = fround(scale_x * scale_w[c])`, zero
 *   point 0 (`b_q = roundHalfEven(b / scale_b)`; a bias that would not fit int32 stays float); the output is quantized
 *   too, after a Relu/Clip that is
 *   its only consumer (so the Q sits where runtimes fuse Conv+Relu).
 * - Shape/selection ops (Reshape, Transpose, MaxPool, Flatten, Squeeze, Unsqueeze, and Concat when all its inputs
 *   share one set of parameters) whose data input is quantized run on the quantized tensor and share its parameters:
 *   no Q/DQ pair around them (MaxPool only for 8-bit types at opset 12+, the only integer types it accepts).
 * - Values already produced by DequantizeLinear are left alone, so the pass is idempotent.
 *
 * Worked example (uint8 activations, int8 symmetric weights): x range [0, 2.55] -> scale_x = 0.01, zp 0; a weight
 * channel with max |w| 1.27 -> scale_w = 0.01; bias 0.5 -> scale_b = fround(0.01 * 0.01) = 1e-4, b_q = 5000.
 * Every scale/zero point comes from `qparams-bridge.ts` (i.e. @lowbit/qparams). Per-channel needs opset 13+ (run `opset-upgrade`).
 */
import { DataType, editGraph, eliminateDeadCode, graphIndex } from '@lowbit/onnx-ir';
import type { Graph, Model, Node } from '@lowbit/onnx-ir';
import { intAttr, readInt } from './attrs.js';
import { RewriteError } from './errors.js';
import { Constants, readersOf, tidyGraph } from './edit-support.js';
import { onnxOpset, withGraph } from './model-opset.js';
import { result, type RewritePass } from './pass-contract.js';
import { Q_DATATYPE, quantizeWith, rangeQParams, weightQParams, type QParamSet, type QSpec } from './qparams-bridge.js';
import type { IntQuantDType, Scheme } from '@lowbit/qparams';
import { isSelected, lookupRange, type NodeOverride, type NodeSelection, type TensorOverride, type TensorRange } from './quant-options.js';
import { floatTensor, makeTensor, tensorFloats } from './tensor-data.js';

const PASS = 'insert-qdq';
export const COMPUTE_OPS = ['Conv', 'MatMul', 'Gemm'] as const;
export const SHARED_PARAM_OPS = ['Reshape', 'Transpose', 'MaxPool', 'Flatten', 'Squeeze', 'Unsqueeze', 'Concat'] as const;
export const DEFAULT_STATIC_OPS: readonly string[] = [...COMPUTE_OPS, ...SHARED_PARAM_OPS];

export interface InsertQdqOptions extends NodeSelection {
  /** Calibrated ranges of the activation tensors (see `staticQuantTargets`). */
  readonly ranges: ReadonlyMap<string, TensorRange> | Readonly<Record<string, TensorRange>>;
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
  /** Names new values/nodes must avoid besides the graph's own (the enclosing scopes', when run on a subgraph). */
  readonly reservedNames?: readonly string[];
}

interface ActQ {
  readonly dtype: IntQuantDType;
  readonly scale: number;
  readonly zeroPoint: number;
  /** Set for values that share the parameters of their passthrough op's input. */
  readonly root?: string;
}

/** Names of the activation tensors `insert-qdq` will need ranges for (graph inputs and intermediate values). */
export function staticQuantTargets(m: Model, sel: NodeSelection = {}, outputs: OutputPolicy = 'all'): string[] {
  const g = m.graph;
  const consts = new Constants(g);
  const out = new Set<string>();
  for (const n of g.nodes) {
    if (!isSelected(sel, n, DEFAULT_STATIC_OPS) || !(COMPUTE_OPS as readonly string[]).includes(n.opType)) continue;
    if (alreadyQuantized(g, n)) continue;
    const x = n.inputs[0];
    if (x && !consts.get(x)) out.add(x);
    if (n.opType === 'MatMul' && n.inputs[1] && !consts.get(n.inputs[1])) out.add(n.inputs[1]);
    const y = fusedOutput(g, n, sel);
    if (y && (outputs === 'all' || feedsSharedParamOp(g, y, sel))) out.add(y);
  }
  return [...out];
}

/**
 * Which compute-op outputs get Q/DQ: `all` (default; where runtimes fuse DQ -> op -> Q into one integer kernel, and
 * what QOperator conversion needs), or `consumed`: only when a selected shape op reads it (its consumers quantize
 * their own inputs anyway), which halves the quantization points on float-activation chains (e.g. HardSwish).
 */
export type OutputPolicy = 'all' | 'consumed';

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
    const excluded = sel.excludeNodes !== undefined && (typeof sel.excludeNodes === 'function' ? sel.excludeNodes(c) : sel.excludeNodes.includes(c.name));
    if (!excluded && c.outputs[0]) return c.outputs[0];
  }
  return y;
}

export function insertQdq(options: InsertQdqOptions): RewritePass {
  return {
    name: PASS,
    run(m) {
      const g = m.graph;
      const consts = new Constants(g);
      const opset = onnxOpset(m);
      const act = new Map<string, ActQ>();
      const weightCache = new Map<string, { name: string; set: QParamSet }>();
      const baseAct: QSpec = { dtype: options.activationType ?? 'uint8', scheme: options.activationScheme ?? 'asymmetric', reduceRange: false };
      const baseW: QSpec = { dtype: options.weightType ?? 'int8', scheme: options.weightScheme ?? 'symmetric', reduceRange: options.reduceRange ?? false };
      if (opset < 10) throw new RewriteError({ pass: PASS, expected: 'opset >= 10 (QuantizeLinear)', actual: `opset ${opset}` }, 'run opset-upgrade first');
      const wantAct = (name: string, node: Node, spec: QSpec, required: boolean): ActQ | undefined => {
        const have = act.get(name);
        if (have) return have;
        const ov = options.tensorOverrides?.[name];
        const dtype = ov?.dtype ?? spec.dtype;
        if (ov?.scale !== undefined && ov.zeroPoint !== undefined) {
          const q: ActQ = { dtype, scale: ov.scale, zeroPoint: ov.zeroPoint };
          act.set(name, q);
          return q;
        }
        const range = ov?.range ?? lookupRange(options.ranges, name);
        if (!range) {
          if (required) throw new RewriteError({ pass: PASS, nodeName: node.name, opType: node.opType, tensor: name }, 'no calibrated range for an input to quantize');
          return undefined;
        }
        const p = rangeQParams(range, { dtype, scheme: ov?.scheme ?? spec.scheme, reduceRange: spec.reduceRange });
        const q: ActQ = { dtype, scale: p.scale, zeroPoint: p.zeroPoint };
        act.set(name, q);
        return q;
      };
      const computeNodes: Node[] = [];
      // 1. plan: which values are quantized with which parameters
      for (const n of g.nodes) {
        if (!isSelected(options, n, DEFAULT_STATIC_OPS)) continue;
        const nov = options.nodeOverrides?.[n.name];
        const aSpec: QSpec = { ...baseAct, dtype: nov?.activationType ?? baseAct.dtype, scheme: nov?.activationScheme ?? baseAct.scheme };
        if ((COMPUTE_OPS as readonly string[]).includes(n.opType)) {
          if (alreadyQuantized(g, n) || !n.inputs[0] || consts.get(n.inputs[0])) continue;
          if (n.opType !== 'MatMul' && !consts.get(n.inputs[1])) continue;
          wantAct(n.inputs[0], n, aSpec, true);
          if (n.opType === 'MatMul' && n.inputs[1] && !consts.get(n.inputs[1])) wantAct(n.inputs[1], n, aSpec, true);
          const y = fusedOutput(g, n, options);
          if (y && ((options.outputs ?? 'all') === 'all' || feedsSharedParamOp(g, y, options))) wantAct(y, n, aSpec, false);
          computeNodes.push(n);
        } else {
          const x = n.inputs[0];
          const y = n.outputs[0];
          if (!x || !y || n.outputs.slice(1).some((o) => o && readersOf(g, o).length > 0)) continue;
          if (n.opType === 'Concat') {
            const qs = n.inputs.map((i) => (i ? act.get(i) : undefined));
            const q0 = qs[0];
            if (!q0 || !qs.every((q) => q && q.dtype === q0.dtype && q.scale === q0.scale && q.zeroPoint === q0.zeroPoint)) continue;
            if (!act.has(y)) act.set(y, { ...q0, root: rootOf(act, x) });
            continue;
          }
          const q = act.get(x);
          // MaxPool (opset 12+) takes 8-bit integers only; the layout ops take any type
          if (n.opType === 'MaxPool' && q && (q.dtype !== 'uint8' && q.dtype !== 'int8' || opset < 12)) continue;
          if (q && !act.has(y)) act.set(y, { ...q, root: rootOf(act, x) });
        }
      }
      if (act.size === 0 && computeNodes.length === 0) return result(m, m);
      // 2. emit activation Q/DQ
      const edited = editGraph(g, (e) => {
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
        // 3. weights and biases
        for (const orig of computeNodes) {
          const n = e.node(orig);
          const nov = options.nodeOverrides?.[n.name];
          const wSpec: QSpec = { ...baseW, dtype: nov?.weightType ?? baseW.dtype, scheme: nov?.weightScheme ?? baseW.scheme };
          const wName = orig.inputs[1];
          const w = consts.get(wName);
          if (!wName || !w) continue;
          const ov = options.tensorOverrides?.[wName];
          const perChannel = ov?.granularity !== undefined ? ov.granularity === 'per-channel' : nov?.perChannel ?? options.perChannel ?? false;
          const axis = perChannel ? ov?.axis ?? weightAxis(n, w.dims.length) : undefined;
          if (axis !== undefined && opset < 13) {
            throw new RewriteError({ pass: PASS, nodeName: n.name, opType: n.opType, inputIndex: 1, expected: 'opset >= 13 for per-channel', actual: `opset ${opset}` }, 'run opset-upgrade first');
          }
          const spec: QSpec = { ...wSpec, dtype: ov?.dtype ?? wSpec.dtype, scheme: ov?.scheme ?? wSpec.scheme };
          const key = `${wName}|${axis}|${spec.dtype}|${spec.scheme}`;
          let cached = weightCache.get(key);
          if (!cached) {
            const values = tensorFloats(w, PASS);
            const set: QParamSet = ov?.scale !== undefined && ov.zeroPoint !== undefined
              ? { scales: Float32Array.of(ov.scale), zeroPoints: Int32Array.of(ov.zeroPoint), dims: [] }
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
          // bias
          const bName = orig.inputs[2];
          const b = consts.get(bName);
          const xq = act.get(orig.inputs[0]!);
          if ((options.quantizeBias ?? true) && bName && b && b.dims.length === 1 && b.dtype === DataType.FLOAT && xq) {
            const bv = tensorFloats(b, PASS);
            const c = bv.length;
            const set = cached.set;
            if (set.scales.length !== 1 && set.scales.length !== c) continue;
            const scales = new Float32Array(set.scales.length);
            for (let i = 0; i < scales.length; i++) scales[i] = Math.fround(xq.scale * set.scales[i]);
            const bset: QParamSet = { scales, zeroPoints: new Int32Array(scales.length), dims: set.dims.length ? [c] : [] };
            // A bias that int32 cannot hold at scale_x * scale_w (16-bit activations and weights, tiny weight
            // scales) would saturate; it stays float instead (the op then runs as DQ -> op in float).
            if (bv.some((v, i) => Math.abs(v / scales[scales.length === 1 ? 0 : i]) > 2147483647)) continue;
            const ints = quantizeWith(bv, b.dims, bset, 'int32', bset.dims.length ? 0 : undefined);
            const bq = consts.add(e, makeTensor(e.freshName(`${bName}_quantized`), DataType.INT32, b.dims, ints));
            const bs = consts.add(e, floatTensor(e.freshName(`${bName}_scale`), bset.dims, scales));
            const bz = consts.add(e, makeTensor(e.freshName(`${bName}_zero_point`), DataType.INT32, bset.dims, bset.zeroPoints));
            const out = e.freshName(`${bName}_dequantized`);
            e.addNode({ opType: 'DequantizeLinear', inputs: [bq, bs, bz], outputs: [out], attributes: bset.dims.length ? [intAttr('axis', 0)] : [], name: e.freshName(`${bName}_DequantizeLinear`) });
            e.setInput(n, 2, out);
          }
        }
      }, { reservedNames: options.reservedNames ?? [] });
      return result(m, withGraph(m, tidyGraph(g, eliminateDeadCode(edited), { pruneInitializers: true })));
    },
  };
}

/** The activation whose parameters a DQ node uses (its scale initializer's owner), or '' when not ours. */
function rootOfDq(n: Node, params: Map<string, { scale: string; zp: string }>): string {
  for (const [root, p] of params) if (p.scale === n.inputs[1] && p.zp === n.inputs[2]) return root;
  return '';
}

function rootOf(act: Map<string, ActQ>, name: string): string {
  const q = act.get(name);
  return q?.root ?? name;
}

/** The per-channel axis of a compute op's weight: Conv 0, MatMul last, Gemm 0 when transB else 1. */
export function weightAxis(n: Node, rank: number): number {
  if (n.opType === 'Conv') return 0;
  if (n.opType === 'Gemm') return readInt(n, 'transB', 0) ? 0 : 1;
  return rank - 1;
}
