/**
 * Pass `sink-transpose-quantize`: a float Transpose read only by a per-tensor quantizer moves below it,
 *
 *   QuantizeLinear(Transpose(x, perm), s, zp)  ->  Transpose(QuantizeLinear(x, s, zp), perm)
 *   DynamicQuantizeLinear(Transpose(x, perm))  ->  Transpose(y of DynamicQuantizeLinear(x), perm), same scale and zero point
 *
 * so the transpose moves 8-bit values instead of float32 ones (attention's V heads split off by Transpose before
 * their quantization, in static and dynamic int8 models). Exact: quantizing with one scale and zero point is
 * element-wise, and DynamicQuantizeLinear's range (min and max over all values) does not depend on their order.
 *
 * Preconditions: the Transpose output is read only by the quantizer and is neither a graph output nor kept;
 * QuantizeLinear's scale and zero point are rank-0 constants (per tensor) and it has no block size; an 8-bit Transpose
 * kernel ranking no lower than the float one. Identity rule: nothing moved -> the same model back.
 */
import { attrInt, editGraph, graphIndex } from '@lowbit/onnx-ir';
import type { Model, Node, Pass, PassContext } from '@lowbit/onnx-ir';
import { Constants, fusionPays, isOp, passOptions, soleConsumer } from './support.js';

export const sinkTransposeQuantize: Pass = {
  name: 'sink-transpose-quantize',
  run(m: Model, ctx: PassContext) {
    const opts = passOptions(ctx);
    if (!m.graph.nodes.some((n) => isOp(n, 'Transpose'))) return { model: m, modified: false };
    if (!fusionPays(opts, 'Transpose:u8', 'Transpose:f32') || !fusionPays(opts, 'Transpose:i8', 'Transpose:f32')) return { model: m, modified: false };
    const idx = graphIndex(m.graph);
    const consts = new Constants(m.graph);
    const scalarConst = (name: string | null | undefined) => consts.tensor(name)?.dims.length === 0;
    const movable = (q: Node): boolean => {
      if (isOp(q as Node | undefined, 'DynamicQuantizeLinear')) return true;
      if (!isOp(q as Node | undefined, 'QuantizeLinear') || attrInt(q, 'block_size', 0) !== 0) return false;
      return scalarConst(q.inputs[1]) && (!q.inputs[2] || scalarConst(q.inputs[2]));
    };
    const g = editGraph(m.graph, (e) => {
      for (const t of m.graph.nodes) {
        const v = t.outputs[0];
        if (!isOp(t, 'Transpose') || !t.inputs[0] || !v) continue;
        const q = soleConsumer(m.graph, opts, v);
        if (!q || q.inputs[0] !== v || !movable(q) || !q.outputs[0] || idx.producer(v)?.node !== t) continue;
        const quantized = e.freshName(`${q.outputs[0]}_untransposed`);
        // the quantizer's place first (its scale / zero point outputs move to the new quantizer), then the transpose's
        e.replaceNode(q, { opType: 'Transpose', domain: t.domain, name: e.freshName(`${t.name || 'Transpose'}_quantized`), inputs: [quantized], outputs: [q.outputs[0]], attributes: t.attributes });
        e.replaceNode(t, { opType: q.opType, domain: q.domain, name: e.freshName(`${q.name || q.opType}_sunk`), inputs: [t.inputs[0], ...q.inputs.slice(1)], outputs: [quantized, ...q.outputs.slice(1)], attributes: q.attributes });
        e.removeValueInfo(v);
      }
    });
    return g === m.graph ? { model: m, modified: false } : { model: { ...m, graph: g }, modified: true };
  },
};
