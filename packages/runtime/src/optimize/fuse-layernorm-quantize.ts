/**
 * Pass `fuse-layernorm-quantize`: a LayerNormalization (stash_type 1, only its Y output used) whose Y feeds only a
 * per-tensor 8-bit QuantizeLinear, as static QDQ transformers quantize every normalized activation,
 *
 *   n = LayerNormalization(x, scale[, B]);  y = QuantizeLinear(n, y_scale, y_zero_point)
 *
 * becomes `y = lowbit.QLayerNorm(x, scale, B | '', y_scale, y_zero_point)` (packages/kernels/src/nn/layer-norm.ts)
 * with the LayerNormalization's attributes: the quantized output is written directly. Exact: the fused kernels
 * compute the same normalization and quantization as the two nodes (bit-identical on every backend that has both).
 *
 * Preconditions: as fuse-gelu-quantize (n read only by the QuantizeLinear, not an output, not kept; per-tensor 8-bit
 * quantization with constant parameters); no Mean / InvStdDev output; a `lowbit.QLayerNorm` kernel ranking no lower
 * than LayerNormalization's. Identity rule: nothing fused -> the same model back.
 */
import { editGraph } from '@lowbit/onnx-ir';
import type { Model, Pass, PassContext } from '@lowbit/onnx-ir';
import { perTensor8 } from './fuse-gelu-quantize.js';
import { Constants, fusionPays, isOp, LOWBIT_DOMAIN, passOptions, soleConsumer } from './support.js';

export const fuseLayerNormQuantize: Pass = {
  name: 'fuse-layernorm-quantize',
  run(m: Model, ctx: PassContext) {
    const opts = passOptions(ctx);
    if (!m.graph.nodes.some((n) => isOp(n, 'LayerNormalization')) || !fusionPays(opts, `${LOWBIT_DOMAIN}.QLayerNorm:f32`, 'LayerNormalization:f32')) return { model: m, modified: false };
    const consts = new Constants(m.graph);
    const g = editGraph(m.graph, (e) => {
      for (const ln of m.graph.nodes) {
        if (!isOp(ln, 'LayerNormalization') || !ln.outputs[0] || ln.outputs.slice(1).some((o) => o) || !ln.inputs[0] || !ln.inputs[1]) continue;
        const stash = ln.attributes.find((a) => a.name === 'stash_type');
        if (stash && !(stash.type === 'int' && stash.value === 1n)) continue;
        const q = soleConsumer(m.graph, opts, ln.outputs[0]);
        if (!isOp(q, 'QuantizeLinear') || q.inputs[0] !== ln.outputs[0] || !q.outputs[0] || !perTensor8(consts, q)) continue;
        e.removeNode(ln);
        e.removeValueInfo(ln.outputs[0]);
        e.replaceNode(q, {
          opType: 'QLayerNorm', domain: LOWBIT_DOMAIN, inputs: [ln.inputs[0], ln.inputs[1], ln.inputs[2] || null, q.inputs[1]!, q.inputs[2]!], outputs: [q.outputs[0]],
          name: e.freshName(`${ln.name || 'LayerNormalization'}_q`), attributes: ln.attributes,
        });
      }
    });
    if (g === m.graph) return { model: m, modified: false };
    const opsetImports = m.opsetImports.some((o) => o.domain === LOWBIT_DOMAIN) ? m.opsetImports : [...m.opsetImports, { domain: LOWBIT_DOMAIN, version: 1 }];
    return { model: { ...m, graph: g, opsetImports }, modified: true };
  },
};
