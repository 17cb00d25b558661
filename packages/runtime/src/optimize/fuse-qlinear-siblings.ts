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
import { DataType, editGraph, normalizeDomain, tensorFromValues } from '@lowbit/onnx-ir';
import type { Model, Node, Pass, PassContext } from '@lowbit/onnx-ir';
import type { Tensor } from '@lowbit/kernels';
import { Constants, fusionPays, LOWBIT_DOMAIN, paramAt as at, passOptions } from './support.js';

interface Sibling {
  readonly node: Node;
  readonly b: Tensor;
  readonly bs: Tensor;
  readonly bz?: Tensor;
  readonly ys: Tensor;
  readonly yz: Tensor;
  readonly bias?: Tensor;
}

const Q8 = (dtype: string) => (dtype === 'int8' ? DataType.INT8 : DataType.UINT8);

export const fuseQLinearSiblings: Pass = {
  name: 'fuse-qlinear-siblings',
  run(m: Model, ctx: PassContext) {
    const opts = passOptions(ctx);
    const consts = new Constants(m.graph);
    const groups = new Map<string, Sibling[]>();
    for (const n of m.graph.nodes) {
      const sib = sibling(consts, n);
      if (!sib) continue;
      const key = [n.inputs[0], n.inputs[1], n.inputs[2] ?? '', sib.b.dtype, sib.b.dims[0], sib.yz.dtype, sib.bias ? 1 : 0].join('\u0000');
      const list = groups.get(key);
      if (list) list.push(sib);
      else groups.set(key, [sib]);
    }
    const fused = [...groups.values()].filter((g) => g.length >= 2);
    // (a's type is not known here: both kernels' ranks must allow it)
    const pays = ['u8', 'i8'].every((a) => fusionPays(opts, `${LOWBIT_DOMAIN}.QLinearMatMulToFloatSplit:${a}`, `${LOWBIT_DOMAIN}.QLinearMatMulToFloat:${a}`));
    if (fused.length === 0 || !pays) return { model: m, modified: false };
    const g = editGraph(m.graph, (e) => {
      for (const group of fused) {
        const first = group[0].node;
        const base = first.name || 'QLinearMatMulToFloat';
        const b = group[0].b;
        const K = b.dims[0];
        const widths = group.map((s) => s.b.dims[1]);
        const N = widths.reduce((x, y) => x + y, 0);
        const bq = b.dtype === 'int8' ? new Int8Array(K * N) : new Uint8Array(K * N);
        const bs = new Float32Array(N);
        const bz = b.dtype === 'int8' ? new Int8Array(N) : new Uint8Array(N);
        const ys = new Float32Array(group.length);
        const yz = group[0].yz.dtype === 'int8' ? new Int8Array(group.length) : new Uint8Array(group.length);
        const bias = group[0].bias ? new Float32Array(N) : undefined;
        let off = 0;
        group.forEach((s, i) => {
          const n = s.b.dims[1];
          const bd = s.b.data as Int8Array | Uint8Array;
          for (let k = 0; k < K; k++) bq.set(bd.subarray(k * n, (k + 1) * n), k * N + off);
          for (let j = 0; j < n; j++) {
            bs[off + j] = at(s.bs, j);
            if (s.bz) bz[off + j] = at(s.bz, j);
            if (bias) bias[off + j] = at(s.bias!, j);
          }
          ys[i] = at(s.ys, 0);
          yz[i] = at(s.yz, 0);
          off += n;
        });
        const names = ['b', 'b_scale', 'b_zero_point', 'y_scale', 'y_zero_point', 'bias'].map((p) => e.freshName(`${base}_siblings_${p}`));
        e.addInitializer(tensorFromValues(names[0], Q8(b.dtype), [K, N], bq));
        e.addInitializer(tensorFromValues(names[1], DataType.FLOAT, [N], bs));
        e.addInitializer(tensorFromValues(names[2], Q8(b.dtype), [N], bz));
        e.addInitializer(tensorFromValues(names[3], DataType.FLOAT, [group.length], ys));
        e.addInitializer(tensorFromValues(names[4], Q8(group[0].yz.dtype), [group.length], yz));
        if (bias) e.addInitializer(tensorFromValues(names[5], DataType.FLOAT, [N], bias));
        for (const s of group.slice(1)) e.removeNode(s.node);
        e.replaceNode(first, {
          opType: 'QLinearMatMulToFloatSplit', domain: LOWBIT_DOMAIN,
          inputs: [first.inputs[0]!, first.inputs[1]!, first.inputs[2] ?? '', ...names.slice(0, bias ? 6 : 5)],
          outputs: group.map((s) => s.node.outputs[0]!), name: e.freshName(`${base}_siblings`),
          attributes: [{ type: 'ints', name: 'splits', value: widths.map(BigInt) }],
        });
      }
    });
    if (g === m.graph) return { model: m, modified: false };
    return { model: { ...m, graph: g }, modified: true };
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
  return { node: n, b, bs: bs!, ys: ys!, yz: yz!, ...(bz ? { bz } : {}), ...(bias ? { bias } : {}) };
}
