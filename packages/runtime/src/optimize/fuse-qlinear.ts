/**
 * Pass `fuse-qdq-qlinear`: a static QDQ group runs as one integer op instead of DQ, float op, Q.
 *
 * - `DQ(x), DQ(w) [, DQ(b int32)] -> Conv [-> Relu|Clip] -> Q(y)` becomes
 *   `QLinearConv(x_q, x_s, x_zp, w_q, w_s, w_zp, y_s, y_zp [, b'])`;
 * - `DQ(a), DQ(b) -> MatMul [-> Relu|Clip] -> Q(y)` becomes `QLinearMatMul(...)`;
 * - `DQ(a), DQ(b) [, DQ(c int32)] -> Gemm (transA 0, alpha 1, beta 1) [-> Relu|Clip] -> Q(y)` becomes the internal
 *   `lowbit.QGemm(a_q, a_s, a_zp, b_q, b_s, b_zp, y_s, y_zp [, c'], transB)` (kernel in @lowbit/kernels; the model gains
 *   the `lowbit` opset import).
 *
 * The bias keeps its int32 values when its scale is `fround(x_s * w_s[m])` (how Lowbit and onnxruntime quantize
 * biases); otherwise `b'[m] = roundHalfEven(fround((b_q - b_zp) * b_s) / fround(x_s * w_s[m]))` (skipped past int32).
 * A Relu/Clip is absorbed only when Q's saturation implies it (Relu: y_zp = qmin; Clip: the representable range
 * `[(qmin - zp) s, (qmax - zp) s]` lies inside [min, max]).
 *
 * Numerics: the literal graph sums float32 products of dequantized values; the fused op sums exact int32 products and
 * requantizes once with `fround(fround(x_s * w_s) / y_s)`. The two differ only by float32 rounding of the sum and of
 * the multiplier, which moves a result across a rounding boundary at most once: fused and literal outputs differ by
 * at most 1 output quantization step (1 LSB), tested on the quantize tests' models.
 *
 * Preconditions checked per group: per-tensor constant float32 scales and 8-bit zero points for x and y, w per-tensor
 * or per output channel (Conv axis 0, MatMul axis 1), no blocked or float16 parameters, every intermediate value read
 * only inside the group and neither a graph output nor kept, and a kernel for the fused key that ranks no lower than
 * the float op's (`OptimizePassOptions.rank`). Identity rule: nothing fused -> the same model back.
 */
import { roundHalfEven } from '@lowbit/qparams';
import { attrFloat, attrInt, DataType, editGraph, graphIndex, tensorFromValues } from '@lowbit/onnx-ir';
import type { Graph, GraphEditor, Model, Node, Pass, PassContext } from '@lowbit/onnx-ir';
import { Constants, fusionPays, isOp, LOWBIT_DOMAIN, onnxOpset, passOptions, removable, type OptimizePassOptions } from './support.js';

const SHORT: Record<string, string> = { uint8: 'u8', int8: 'i8' };
const QMIN: Record<string, number> = { uint8: 0, int8: -128 };
const QMAX: Record<string, number> = { uint8: 255, int8: 127 };

interface QParams { readonly q: string; readonly s: string; readonly zp: string; readonly scale: Float32Array; readonly zero: number[]; readonly dtype: string }

export const fuseQdqQLinear: Pass = {
  name: 'fuse-qdq-qlinear',
  run(m: Model, ctx: PassContext) {
    const opts = passOptions(ctx);
    const consts = new Constants(m.graph);
    const opset = onnxOpset(m);
    if (opset < 10) return { model: m, modified: false };
    let internal = false;
    const g = editGraph(m.graph, (e) => {
      for (const n of m.graph.nodes) {
        if (isOp(n, 'Conv') || isOp(n, 'MatMul') || isOp(n, 'Gemm')) internal = fuse(e, m.graph, consts, opts, n, opset) === 'internal' || internal;
      }
    });
    if (g === m.graph) return { model: m, modified: false };
    return { model: { ...m, graph: g, opsetImports: internal ? withLowbitOpset(m.opsetImports) : m.opsetImports }, modified: true };
  },
};

/** The parameters of the DQ producing `value`, when they are constants of a supported form. */
function dqParams(g: Graph, c: Constants, value: string | null | undefined, axis?: number): QParams | undefined {
  if (!value) return undefined;
  const dq = graphIndex(g).producer(value)?.node;
  if (!isOp(dq, 'DequantizeLinear') || !dq.inputs[0] || !dq.inputs[1] || !dq.inputs[2]) return undefined;
  if (attrInt(dq, 'block_size', 0) !== 0 || ![0, 1].includes(attrInt(dq, 'output_dtype', 0))) return undefined;
  const p = qparamsOf(c, dq.inputs[0], dq.inputs[1], dq.inputs[2]);
  if (!p) return undefined;
  if (p.scale.length !== 1 && (axis === undefined || attrInt(dq, 'axis', 1) !== axis)) return undefined;
  return p;
}

function qparamsOf(c: Constants, q: string, s: string, zp: string): QParams | undefined {
  const st = c.tensor(s);
  const zt = c.tensor(zp);
  if (!st || !zt || st.dtype !== 'float32' || !(zt.dtype in SHORT) || st.data.length !== zt.data.length || st.dims.length > 1) return undefined;
  return { q, s, zp, scale: st.data as Float32Array, zero: Array.from(zt.data as ArrayLike<number>), dtype: zt.dtype };
}

/** Fuses the group around `n` when it can; says whether it did, and into a standard or an internal op. */
function fuse(e: GraphEditor, g: Graph, c: Constants, opts: OptimizePassOptions, n: Node, opset: number): 'standard' | 'internal' | undefined {
  const conv = n.opType === 'Conv';
  const gemm = n.opType === 'Gemm';
  const transB = gemm ? attrInt(n, 'transB', 0) : 0;
  if (gemm && (attrInt(n, 'transA', 0) !== 0 || attrFloat(n, 'alpha', 1) !== 1 || attrFloat(n, 'beta', 1) !== 1)) return;
  const y = n.outputs[0];
  if (!y || !removable(g, opts, y)) return;
  const wRef = c.tensor(graphIndex(g).producer(n.inputs[1] ?? '')?.node.inputs[0]);
  const x = dqParams(g, c, n.inputs[0]);
  const w = dqParams(g, c, n.inputs[1], conv || transB ? 0 : 1);
  if (!x || !w || x.scale.length !== 1) return;
  if (conv && !wRef) return;
  const channels = conv || transB ? wRef?.dims[0] : wRef?.dims[wRef.dims.length - 1];
  if (w.scale.length !== 1 && (channels === undefined || w.scale.length !== channels || (!conv && wRef!.dims.length !== 2))) return;
  // the group's tail: [Relu|Clip ->] Q
  const idx = graphIndex(g);
  let tail = y;
  let act: Node | undefined;
  let uses = idx.consumers(tail);
  if (uses.length === 1 && (isOp(uses[0].node, 'Relu') || isOp(uses[0].node, 'Clip'))) {
    act = uses[0].node;
    tail = act.outputs[0] ?? '';
    if (!tail || !removable(g, opts, tail)) return;
    uses = idx.consumers(tail);
  }
  if (uses.length !== 1 || idx.captures(y).length > 0 || (act && idx.captures(tail).length > 0)) return;
  const q = uses[0].node;
  if (!isOp(q, 'QuantizeLinear') || !q.inputs[1] || !q.inputs[2] || !q.outputs[0] || attrInt(q, 'block_size', 0) !== 0) return;
  const yq = qparamsOf(c, q.outputs[0], q.inputs[1], q.inputs[2]);
  if (!yq || yq.scale.length !== 1 || ![0, DataType.UINT8, DataType.INT8].includes(attrInt(q, 'output_dtype', 0))) return;
  if (act && !activationImplied(c, act, yq, opset)) return;
  const op = conv ? 'QLinearConv' : gemm ? 'QGemm' : 'QLinearMatMul';
  const key = gemm ? `${LOWBIT_DOMAIN}.QGemm:${SHORT[x.dtype]}` : `${op}:${SHORT[x.dtype]}x${SHORT[w.dtype]}->${SHORT[yq.dtype]}`;
  if (!fusionPays(opts, key, `${n.opType}:f32`)) return;
  let bias: string | undefined;
  if ((conv || gemm) && n.inputs[2]) {
    const outChannels = conv ? wRef?.dims[0] : transB ? wRef?.dims[0] : wRef?.dims[1];
    if (outChannels === undefined) return;
    bias = biasFor(e, g, c, n.inputs[2], x.scale[0], w.scale, outChannels);
    if (!bias) return;
  }
  const inputs = [x.q, x.s, x.zp, w.q, w.s, w.zp, yq.s, yq.zp, ...(bias ? [bias] : [])];
  e.removeNode(n);
  if (act) e.removeNode(act);
  e.removeValueInfo(y);
  if (act) e.removeValueInfo(tail);
  const attributes = conv ? n.attributes : gemm ? [{ name: 'transB', type: 'int' as const, value: BigInt(transB) }] : [];
  e.replaceNode(q, { opType: op, ...(gemm ? { domain: LOWBIT_DOMAIN } : {}), inputs, outputs: [q.outputs[0]], attributes, name: e.freshName(`${n.name || op}_qlinear`) });
  return gemm ? 'internal' : 'standard';
}

function withLowbitOpset(imports: Model['opsetImports']): Model['opsetImports'] {
  return imports.some((o) => o.domain === LOWBIT_DOMAIN) ? imports : [...imports, { domain: LOWBIT_DOMAIN, version: 1 }];
}

/** The int32 bias at scale `x_s * w_s[m]` for the DQ'd bias `value`, as an initializer name; undefined if impossible. */
function biasFor(e: GraphEditor, g: Graph, c: Constants, value: string, xs: number, ws: Float32Array, M: number): string | undefined {
  const dq = graphIndex(g).producer(value)?.node;
  if (!isOp(dq, 'DequantizeLinear') || attrInt(dq, 'block_size', 0) !== 0) return undefined;
  const bq = c.tensor(dq.inputs[0]);
  const bs = c.tensor(dq.inputs[1]);
  const bz = dq.inputs[2] ? c.numbers(dq.inputs[2]) : [0];
  if (!bq || !bs || !bz || bq.dtype !== 'int32' || bs.dtype !== 'float32' || bq.data.length !== M || bq.dims.length !== 1) return undefined;
  if (bs.data.length !== 1 && (bs.data.length !== M || attrInt(dq, 'axis', 1) !== 0)) return undefined;
  const at = (a: ArrayLike<number>, i: number): number => (a.length === 1 ? a[0] : a[i]);
  const target = Float32Array.from({ length: M }, (_, m) => Math.fround(xs * at(ws, m)));
  const same = bz.every((z) => z === 0) && target.every((t, m) => t === at(bs.data as Float32Array, m));
  if (same) return dq.inputs[0]!;
  const out = new Int32Array(M);
  for (let m = 0; m < M; m++) {
    const f = Math.fround((bq.data[m] as number - at(bz, m)) * at(bs.data as Float32Array, m));
    const v = roundHalfEven(f / target[m]);
    if (!Number.isFinite(v) || v > 2147483647 || v < -2147483648) return undefined;
    out[m] = v;
  }
  const name = e.freshName(`${dq.inputs[0]}_requantized`);
  e.addInitializer(tensorFromValues(name, DataType.INT32, [M], out));
  return name;
}

/** True when Q's saturation makes the Relu/Clip before it a no-op. */
function activationImplied(c: Constants, act: Node, y: QParams, opset: number): boolean {
  const qmin = QMIN[y.dtype], qmax = QMAX[y.dtype];
  const zp = y.zero[0], s = y.scale[0];
  if (act.opType === 'Relu') return zp === qmin;
  let min = -Infinity, max = Infinity;
  if (opset < 11) {
    min = attrFloat(act, 'min', -3.4028234663852886e38);
    max = attrFloat(act, 'max', 3.4028234663852886e38);
  } else {
    if (act.inputs[1]) { const v = c.numbers(act.inputs[1]); if (!v || v.length !== 1) return false; min = v[0]; }
    if (act.inputs[2]) { const v = c.numbers(act.inputs[2]); if (!v || v.length !== 1) return false; max = v[0]; }
  }
  const lo = Math.fround((qmin - zp) * s);
  const hi = Math.fround((qmax - zp) * s);
  return min <= lo && hi <= max;
}
