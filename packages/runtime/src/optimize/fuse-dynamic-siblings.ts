/**
 * Pass `fuse-dynamic-siblings`: `lowbit.DynamicQMatMul` nodes (after `fuse-dynamic-matmul`) that read the same x with
 * constant weights of one 8-bit type and depth K (a transformer's Q, K and V projections of one hidden state),
 *
 *   y_1 = lowbit.DynamicQMatMul(x, w_1, s_1, z_1 [, b_1]);  ...;  y_n = lowbit.DynamicQMatMul(x, w_n, s_n, z_n [, b_n])
 *
 * become one `lowbit.DynamicQMatMulSplit(x, w, s, z [, b]; splits = [N_1, .., N_n]) -> (y_1, .., y_n)` over the
 * weights side by side (w [K, sum N_i]; scales, zero points and biases as one value per column, a per-tensor one
 * repeated): x is quantized once instead of n times and the GEMM runs once over all the columns (one hand-off to the
 * pool's threads, A packed once), writing each sibling's columns straight into its output. Exact: column j of the
 * result is computed from x's quantization (the same for every sibling) and column j's own weights and parameters
 * with the same operations, so each y_i is bit-identical to its DynamicQMatMul (packages/kernels/src/quant/
 * dynamic-qmatmul.ts); the outputs keep their names, so nothing observable goes.
 *
 * Preconditions: at least two such siblings; each in the float form without a residual (inputs x, w, s, z [, b]), w a
 * 2-D constant [K, N_i], s a float32 constant and z a constant of w's type (or absent) with 1 or N_i values (rank <= 1),
 * and either every sibling has a float32 constant bias of 1 or N_i values or none has (adding a zero bias could turn
 * -0 into +0); a `lowbit.DynamicQMatMulSplit` kernel ranking no lower than DynamicQMatMul's. The fused node takes the
 * first sibling's place (x and the constants come before it; every reader of a sibling comes after that sibling).
 * Identity rule: nothing fused -> the same model back.
 */
import { DataType, normalizeDomain } from '@lowbit/onnx-ir';
import type { Model, Node, Pass, PassContext } from '@lowbit/onnx-ir';
import type { Tensor } from '@lowbit/kernels';
import { fuseGroups, siblingGroups, q8Type, type SiblingNode } from './siblings.js';
import { Constants, fusionPays, LOWBIT_DOMAIN, passOptions } from './support.js';

interface Sibling extends SiblingNode {
  readonly s: Tensor;
  readonly z?: Tensor;
  readonly b?: Tensor;
}

export const fuseDynamicSiblings: Pass = {
  name: 'fuse-dynamic-siblings',
  run(m: Model, ctx: PassContext) {
    const opts = passOptions(ctx);
    const consts = new Constants(m.graph);
    const groups = siblingGroups(m.graph.nodes, (n) => sibling(consts, n), (s) => [s.node.inputs[0], s.w.dtype, s.w.dims[0], s.b ? 1 : 0].join('\u0000'));
    if (!fusionPays(opts, `${LOWBIT_DOMAIN}.DynamicQMatMulSplit:f32`, `${LOWBIT_DOMAIN}.DynamicQMatMul:f32`)) return { model: m, modified: false };
    return fuseGroups(m, groups, (f) => {
      const bias = f.group[0].b;
      const inputs = [f.group[0].node.inputs[0]!, f.weights('w'), f.columns('w_scale', DataType.FLOAT, (s) => s.s), f.columns('w_zero_point', q8Type(f.group[0].w.dtype), (s) => s.z)];
      if (bias) inputs.push(f.columns('bias', DataType.FLOAT, (s) => s.b));
      f.replace('DynamicQMatMulSplit', inputs);
    });
  },
};

/** `n` as a sibling: a float-form DynamicQMatMul of constant 2-D 8-bit weights and constant parameters. */
function sibling(c: Constants, n: Node): Sibling | undefined {
  if (n.opType !== 'DynamicQMatMul' || normalizeDomain(n.domain) !== LOWBIT_DOMAIN || n.outputs.length !== 1 || !n.outputs[0]) return undefined;
  const [x, wn, sn, zn, bn, rn] = n.inputs;
  if (!x || rn || n.inputs.length > 5) return undefined;
  const w = c.tensor(wn);
  if (!w || (w.dtype !== 'int8' && w.dtype !== 'uint8') || w.dims.length !== 2 || w.dims[1] < 1) return undefined;
  const N = w.dims[1];
  const per = (t: Tensor | undefined, dtype: string) => !!t && t.dtype === dtype && t.dims.length <= 1 && (t.data.length === 1 || t.data.length === N);
  const s = c.tensor(sn);
  if (!per(s, 'float32')) return undefined;
  const z = zn ? c.tensor(zn) : undefined;
  if (zn && !per(z, w.dtype)) return undefined;
  const b = bn ? c.tensor(bn) : undefined;
  if (bn && !per(b, 'float32')) return undefined;
  return { node: n, w, s: s!, ...(z ? { z } : {}), ...(b ? { b } : {}) };
}
