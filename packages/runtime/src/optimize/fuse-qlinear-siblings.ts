/**
 * Pass `fuse-qlinear-siblings`: `lowbit.QLinearMatMulToFloat` nodes (after `fuse-qlinear-matmul-dequantize`) that read
 * the same quantized input (a, a_scale, a_zero_point) with constant B of one 8-bit type and depth K (a static QDQ
 * transformer's Q, K and V projections of one hidden state),
 *
 *   y_i = lowbit.QLinearMatMulToFloat(a, a_s, a_zp, b_i, b_s_i, b_zp_i, y_s_i, y_zp_i [, bias_i])     i = 1..n
 *
 * become one `lowbit.QLinearMatMulToFloatSplit(a, a_s, a_zp, b, b_s, b_zp, y_s, y_zp [, bias]; splits = [N_1, ..])
 * -> (y_1, .., y_n)` over the B side by side (b [K, sum N_i]; b_s, b_zp and bias one value per column, a per-tensor one
 * repeated; y_s and y_zp one value per sibling): one GEMM over all the columns (one hand-off to the pool's threads, A
 * packed once), each column group requantized and dequantized with its own sibling's output parameters and stored
 * straight into its output. Exact: every column is computed with its own sibling's operands and the same operations
 * (packages/kernels/src/quant/qlinear-matmul-to-float.ts), so each y_i is bit-identical to its node; the outputs keep
 * their names.
 *
 * Preconditions: at least two such siblings; each without a residual (inputs 0..8 only), b a 2-D constant [K, N_i],
 * b_s a float32 constant and b_zp a constant of b's type (or absent) with 1 or N_i values (rank <= 1), y_s a float32 and
 * y_zp an 8-bit constant of one value (one y_zp type per group), and either every sibling has a float32 constant bias
 * of 1 or N_i values or none has; a `lowbit.QLinearMatMulToFloatSplit` kernel ranking no lower than
 * QLinearMatMulToFloat's. The fused node takes the first sibling's place. Identity rule: nothing fused -> the same
 * model back.
 */
import { DataType, normalizeDomain } from '@lowbit/onnx-ir';
import type { Model, Node, Pass, PassContext } from '@lowbit/onnx-ir';
import type { Tensor } from '@lowbit/kernels';
import { fuseGroups, siblingGroups, q8Type, type SiblingNode } from './siblings.js';
import { Constants, fusionPays, LOWBIT_DOMAIN, passOptions } from './support.js';

interface Sibling extends SiblingNode {
  readonly bs: Tensor;
  readonly bz?: Tensor;
  readonly ys: Tensor;
  readonly yz: Tensor;
  readonly bias?: Tensor;
}

export const fuseQLinearSiblings: Pass = {
  name: 'fuse-qlinear-siblings',
  run(m: Model, ctx: PassContext) {
    const opts = passOptions(ctx);
    const consts = new Constants(m.graph);
    const groups = siblingGroups(m.graph.nodes, (n) => sibling(consts, n), (s) => [s.node.inputs[0], s.node.inputs[1], s.node.inputs[2] ?? '', s.w.dtype, s.w.dims[0], s.yz.dtype, s.bias ? 1 : 0].join('\u0000'));
    // (a's type is not known here: both kernels' ranks must allow it)
    if (!['u8', 'i8'].every((a) => fusionPays(opts, `${LOWBIT_DOMAIN}.QLinearMatMulToFloatSplit:${a}`, `${LOWBIT_DOMAIN}.QLinearMatMulToFloat:${a}`))) return { model: m, modified: false };
    return fuseGroups(m, groups, (f) => {
      const first = f.group[0];
      const inputs = [first.node.inputs[0]!, first.node.inputs[1]!, first.node.inputs[2] ?? '', f.weights('b'), f.columns('b_scale', DataType.FLOAT, (s) => s.bs),
        f.columns('b_zero_point', q8Type(first.w.dtype), (s) => s.bz), f.perSibling('y_scale', DataType.FLOAT, (s) => s.ys), f.perSibling('y_zero_point', q8Type(first.yz.dtype), (s) => s.yz)];
      if (first.bias) inputs.push(f.columns('bias', DataType.FLOAT, (s) => s.bias));
      f.replace('QLinearMatMulToFloatSplit', inputs);
    });
  },
};

/** `n` as a sibling: a QLinearMatMulToFloat of constant 2-D 8-bit B and constant per-tensor output parameters. */
function sibling(c: Constants, n: Node): Sibling | undefined {
  if (n.opType !== 'QLinearMatMulToFloat' || normalizeDomain(n.domain) !== LOWBIT_DOMAIN || n.outputs.length !== 1 || !n.outputs[0]) return undefined;
  if (!n.inputs[0] || !n.inputs[1] || n.inputs[9] || n.inputs.length > 9) return undefined;
  const b = c.tensor(n.inputs[3]);
  if (!b || (b.dtype !== 'int8' && b.dtype !== 'uint8') || b.dims.length !== 2 || b.dims[1] < 1) return undefined;
  const N = b.dims[1];
  const per = (t: Tensor | undefined, ok: (d: string) => boolean) => !!t && ok(t.dtype) && t.dims.length <= 1 && (t.data.length === 1 || t.data.length === N);
  const one = (t: Tensor | undefined, ok: (d: string) => boolean) => !!t && ok(t.dtype) && t.dims.length <= 1 && t.data.length === 1;
  const bs = c.tensor(n.inputs[4]);
  if (!per(bs, (d) => d === 'float32')) return undefined;
  const bz = n.inputs[5] ? c.tensor(n.inputs[5]) : undefined;
  if (n.inputs[5] && !per(bz, (d) => d === b.dtype)) return undefined;
  const ys = c.tensor(n.inputs[6]);
  const yz = c.tensor(n.inputs[7]);
  if (!one(ys, (d) => d === 'float32') || !one(yz, (d) => d === 'int8' || d === 'uint8')) return undefined;
  const bias = n.inputs[8] ? c.tensor(n.inputs[8]) : undefined;
  if (n.inputs[8] && !per(bias, (d) => d === 'float32')) return undefined;
  return { node: n, w: b, bs: bs!, ys: ys!, yz: yz!, ...(bz ? { bz } : {}), ...(bias ? { bias } : {}) };
}
