/**
 * Pass `fold-transpose-matmul`: a Transpose whose only reader is a float MatMul is folded into it,
 *
 *   MatMul(Transpose(a, perm_a), Transpose(b, perm_b))  ->  lowbit.PermutedMatMul(a, b) {perm_a, perm_b}
 *
 * (either Transpose or both; packages/kernels/src/nn/permuted-matmul.ts), so the MatMul reads the operand in place
 * instead of a copy: attention's Q K^T with the heads split off by Transpose [0, 2, 1, 3] and K by [0, 2, 3, 1], and
 * P V. Exact: a transpose only moves values, and the fused kernels run the same summation as the unfused MatMul of the
 * same backend, so results are bit-identical to the unfused nodes.
 *
 * Preconditions: the Transpose has an explicit `perm` of rank >= 2, its output is read only by this MatMul and is
 * neither a graph output nor kept; for A the perm keeps the last axis last, for B it puts the last axis in one of the
 * two last places (the layouts a strided GEMM reads); a `lowbit.PermutedMatMul` kernel ranking no lower than
 * MatMul's. Runs after the quantization fusions (a MatMul they would take stays a MatMul until then). The model gains
 * the `lowbit` opset import (version 1). Identity rule: nothing folded -> the same model back.
 */
import { attrInts, editGraph, graphIndex } from '@lowbit/onnx-ir';
import type { Attr, Model, Node, Pass, PassContext } from '@lowbit/onnx-ir';
import { fusionPays, isOp, LOWBIT_DOMAIN, passOptions, soleConsumer } from './support.js';

export const foldTransposeMatMul: Pass = {
  name: 'fold-transpose-matmul',
  run(m: Model, ctx: PassContext) {
    const opts = passOptions(ctx);
    if (!m.graph.nodes.some((n) => isOp(n, 'Transpose')) || !fusionPays(opts, `${LOWBIT_DOMAIN}.PermutedMatMul:f32`, 'MatMul:f32')) return { model: m, modified: false };
    const idx = graphIndex(m.graph);
    /** The Transpose feeding input `i` of `mm` that may fold, with its perm. */
    const foldable = (mm: Node, i: number): { node: Node; perm: number[] } | undefined => {
      const v = mm.inputs[i];
      const t = v ? idx.producer(v)?.node : undefined;
      if (!isOp(t, 'Transpose') || !t.inputs[0] || soleConsumer(m.graph, opts, v) !== mm) return undefined;
      const perm = attrInts(t, 'perm', []);
      const r = perm.length;
      if (r < 2) return undefined;
      const ok = i === 0 ? perm[r - 1] === r - 1 : perm[r - 1] === r - 1 || perm[r - 2] === r - 1;
      return ok ? { node: t, perm } : undefined;
    };
    const g = editGraph(m.graph, (e) => {
      for (const n of m.graph.nodes) {
        if (!isOp(n, 'MatMul') || n.inputs.length !== 2 || !n.outputs[0]) continue;
        const fa = foldable(n, 0);
        const fb = foldable(n, 1);
        if (!fa && !fb) continue;
        const attributes: Attr[] = [];
        for (const [f, name] of [[fa, 'perm_a'], [fb, 'perm_b']] as const) {
          if (!f) continue;
          e.removeNode(f.node);
          for (const o of f.node.outputs) if (o) e.removeValueInfo(o);
          attributes.push({ type: 'ints', name, value: f.perm.map(BigInt) });
        }
        e.replaceNode(n, {
          opType: 'PermutedMatMul', domain: LOWBIT_DOMAIN, name: e.freshName(`${n.name || 'MatMul'}_permuted`),
          inputs: [fa ? fa.node.inputs[0]! : n.inputs[0]!, fb ? fb.node.inputs[0]! : n.inputs[1]!], outputs: [n.outputs[0]], attributes,
        });
      }
    });
    if (g === m.graph) return { model: m, modified: false };
    const opsetImports = m.opsetImports.some((o) => o.domain === LOWBIT_DOMAIN) ? m.opsetImports : [...m.opsetImports, { domain: LOWBIT_DOMAIN, version: 1 }];
    return { model: { ...m, graph: g, opsetImports }, modified: true };
  },
};
