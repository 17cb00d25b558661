/**
 * Pass `fold-batchnorm`: inference BatchNormalization with constant float32 parameters is folded away.
 *
 * Per channel c, in float32 (`fr` = Math.fround), with the BatchNormalization kernel's own denominator:
 *   s[c] = fr(scale[c] / fr(sqrt(fr(var[c] + epsilon))))
 * - After a Conv (whose output only the BN reads, constant float32 weight and bias):
 *   `W'[c, ...] = fr(W[c, ...] * s[c])`, `B'[c] = fr(fr(fr(B[c] - mean[c]) * s[c]) + beta[c])` (B = 0 when absent).
 * - Otherwise, when the input's rank r is known (a Conv weight's rank or declared shape): `Mul(x, s) -> Add(t)` with
 *   `t[c] = fr(beta[c] - fr(mean[c] * s[c]))`, both constants shaped `[C, 1, ..., 1]` (r - 1 dims).
 * Not bit-identical to the unfolded BN (one rounding per step moves): the folded result stays within a few float32
 * ulps of |conv(x) * s| per tap (tested as a property). Example: scale 2, var 3, eps 1, mean 1, beta 0.5, W 1, B 0
 * -> s = 1, W' = 1, B' = -0.5.
 *
 * Left alone: training mode, extra outputs, non-constant or non-float32 parameters, kept intermediate names.
 * Identity rule: nothing folded -> the same model back.
 */
import { attrFloat, attrInt, DataType, editGraph, graphIndex, tensorFromValues } from '@lowbit/onnx-ir';
import type { Graph, GraphEditor, Model, Node, Pass, PassContext } from '@lowbit/onnx-ir';
import { Constants, isOp, passOptions, removable, resultOfGraph, type OptimizePassOptions } from './support.js';

const fr = Math.fround;

export const foldBatchNorm: Pass = {
  name: 'fold-batchnorm',
  run(m: Model, ctx: PassContext) {
    const opts = passOptions(ctx);
    const consts = new Constants(m.graph);
    const g = editGraph(m.graph, (e) => {
      for (const bn of m.graph.nodes) {
        if (!isOp(bn, 'BatchNormalization') || bn.outputs.slice(1).some((o) => o) || !bn.inputs[0] || !bn.outputs[0]) continue;
        if (attrInt(bn, 'training_mode', 0) !== 0 || attrInt(bn, 'spatial', 1) !== 1) continue;
        const params = bn.inputs.slice(1, 5).map((name) => consts.tensor(name));
        if (params.length !== 4 || params.some((t) => !t || t.dtype !== 'float32')) continue;
        const [gamma, beta, mean, vr] = params.map((t) => t!.data as Float32Array);
        const C = gamma.length;
        if ([beta, mean, vr].some((a) => a.length !== C)) continue;
        const eps = fr(attrFloat(bn, 'epsilon', 1e-5));
        const s = new Float32Array(C);
        for (let c = 0; c < C; c++) s[c] = fr(gamma[c] / fr(Math.sqrt(fr(vr[c] + eps))));
        if (intoConv(e, m.graph, consts, opts, bn, s, beta, mean)) continue;
        intoMulAdd(e, m.graph, consts, bn, s, beta, mean);
      }
    });
    return resultOfGraph(m, g);
  },
};

function intoConv(e: GraphEditor, g: Graph, consts: Constants, opts: OptimizePassOptions, bn: Node, s: Float32Array, beta: Float32Array, mean: Float32Array): boolean {
  const x = bn.inputs[0]!;
  const conv = graphIndex(g).producer(x)?.node;
  if (!isOp(conv, 'Conv') || !e.has(conv) || e.users(x).length !== 1 || !removable(g, opts, x)) return false;
  const w = consts.tensor(conv.inputs[1]);
  const b = conv.inputs[2] ? consts.tensor(conv.inputs[2]) : undefined;
  const C = s.length;
  if (!w || w.dtype !== 'float32' || w.dims[0] !== C || (conv.inputs[2] && (!b || b.dtype !== 'float32' || b.data.length !== C))) return false;
  const wv = w.data as Float32Array;
  const per = wv.length / C;
  const w2 = new Float32Array(wv.length);
  for (let c = 0; c < C; c++) for (let i = c * per; i < (c + 1) * per; i++) w2[i] = fr(wv[i] * s[c]);
  const bv = b ? (b.data as Float32Array) : new Float32Array(C);
  const b2 = new Float32Array(C);
  for (let c = 0; c < C; c++) b2[c] = fr(fr(fr(bv[c] - mean[c]) * s[c]) + beta[c]);
  const wName = e.freshName(`${conv.inputs[1]}_bn`);
  const bName = e.freshName(`${conv.name || 'conv'}_bias_bn`);
  e.addInitializer(tensorFromValues(wName, DataType.FLOAT, w.dims, w2));
  e.addInitializer(tensorFromValues(bName, DataType.FLOAT, [C], b2));
  e.removeNode(bn);
  e.removeValueInfo(x);
  e.updateNode(conv, { inputs: [conv.inputs[0], wName, bName], outputs: [bn.outputs[0]] });
  return true;
}

function intoMulAdd(e: GraphEditor, g: Graph, consts: Constants, bn: Node, s: Float32Array, beta: Float32Array, mean: Float32Array): void {
  const x = bn.inputs[0]!;
  const rank = rankOf(g, consts, x);
  if (rank === undefined || rank < 2) return;
  const C = s.length;
  const t = new Float32Array(C);
  for (let c = 0; c < C; c++) t[c] = fr(beta[c] - fr(mean[c] * s[c]));
  const dims = [C, ...new Array<number>(rank - 2).fill(1)];
  const sName = e.freshName(`${bn.name || 'bn'}_scale`);
  const tName = e.freshName(`${bn.name || 'bn'}_shift`);
  e.addInitializer(tensorFromValues(sName, DataType.FLOAT, dims, s));
  e.addInitializer(tensorFromValues(tName, DataType.FLOAT, dims, t));
  const mid = e.freshName(`${bn.outputs[0]}_scaled`);
  e.insertBefore(bn, { opType: 'Mul', inputs: [x, sName], outputs: [mid], name: e.freshName(`${bn.name || 'bn'}_mul`) });
  e.replaceNode(bn, { opType: 'Add', inputs: [mid, tName], outputs: [bn.outputs[0]], name: e.freshName(`${bn.name || 'bn'}_add`) });
}

/** Rank of `x` when the graph says it: a Conv producer's weight rank, or a declared tensor shape. */
function rankOf(g: Graph, consts: Constants, x: string): number | undefined {
  const idx = graphIndex(g);
  const p = idx.producer(x)?.node;
  if (isOp(p, 'Conv')) {
    const w = consts.tensor(p.inputs[1]);
    if (w) return w.dims.length;
  }
  const v = idx.input(x) ?? idx.valueInfo(x) ?? g.outputs.find((o) => o.name === x);
  return v?.type?.kind === 'tensor' && v.type.shape ? v.type.shape.length : undefined;
}
