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
import { DataType, editGraph, normalizeDomain, tensorFromValues } from '@lowbit/onnx-ir';
import type { Model, Node, Pass, PassContext } from '@lowbit/onnx-ir';
import { Constants, fusionPays, LOWBIT_DOMAIN, paramAt as at, passOptions } from './support.js';
import type { Tensor } from '@lowbit/kernels';

interface Sibling {
  readonly node: Node;
  readonly w: Tensor;
  readonly s: Tensor;
  readonly z?: Tensor;
  readonly b?: Tensor;
}

export const fuseDynamicSiblings: Pass = {
  name: 'fuse-dynamic-siblings',
  run(m: Model, ctx: PassContext) {
    const opts = passOptions(ctx);
    const consts = new Constants(m.graph);
    const groups = new Map<string, Sibling[]>();
    for (const n of m.graph.nodes) {
      const sib = sibling(consts, n);
      if (!sib) continue;
      const key = `${n.inputs[0]}\u0000${sib.w.dtype}\u0000${sib.w.dims[0]}\u0000${sib.b ? 1 : 0}`;
      const list = groups.get(key);
      if (list) list.push(sib);
      else groups.set(key, [sib]);
    }
    const fused = [...groups.values()].filter((g) => g.length >= 2);
    if (fused.length === 0 || !fusionPays(opts, `${LOWBIT_DOMAIN}.DynamicQMatMulSplit:f32`, `${LOWBIT_DOMAIN}.DynamicQMatMul:f32`)) return { model: m, modified: false };
    const g = editGraph(m.graph, (e) => {
      for (const group of fused) {
        const first = group[0].node;
        const base = first.name || 'DynamicQMatMul';
        const w = group[0].w;
        const K = w.dims[0];
        const widths = group.map((s) => s.w.dims[1]);
        const N = widths.reduce((a, b) => a + b, 0);
        const wq = w.dtype === 'int8' ? new Int8Array(K * N) : new Uint8Array(K * N);
        const scale = new Float32Array(N);
        const zero = w.dtype === 'int8' ? new Int8Array(N) : new Uint8Array(N);
        const bias = group[0].b ? new Float32Array(N) : undefined;
        let off = 0;
        for (const s of group) {
          const n = s.w.dims[1];
          const wd = s.w.data as Int8Array | Uint8Array;
          for (let k = 0; k < K; k++) wq.set(wd.subarray(k * n, (k + 1) * n), k * N + off);
          for (let j = 0; j < n; j++) {
            scale[off + j] = at(s.s, j);
            if (s.z) zero[off + j] = at(s.z, j);
            if (bias) bias[off + j] = at(s.b!, j);
          }
          off += n;
        }
        const names = ['w', 'w_scale', 'w_zero_point', 'bias'].map((p) => e.freshName(`${base}_siblings_${p}`));
        e.addInitializer(tensorFromValues(names[0], w.dtype === 'int8' ? DataType.INT8 : DataType.UINT8, [K, N], wq));
        e.addInitializer(tensorFromValues(names[1], DataType.FLOAT, [N], scale));
        e.addInitializer(tensorFromValues(names[2], w.dtype === 'int8' ? DataType.INT8 : DataType.UINT8, [N], zero));
        if (bias) e.addInitializer(tensorFromValues(names[3], DataType.FLOAT, [N], bias));
        for (const s of group.slice(1)) e.removeNode(s.node);
        e.replaceNode(first, {
          opType: 'DynamicQMatMulSplit', domain: LOWBIT_DOMAIN, inputs: [first.inputs[0]!, ...names.slice(0, bias ? 4 : 3)],
          outputs: group.map((s) => s.node.outputs[0]!), name: e.freshName(`${base}_siblings`),
          attributes: [{ type: 'ints', name: 'splits', value: widths.map(BigInt) }],
        });
      }
    });
    if (g === m.graph) return { model: m, modified: false };
    return { model: { ...m, graph: g }, modified: true };
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
