/**
 * Pass `fuse-gelu-quantize`: a `lowbit.GeluErf` (see fuse-gelu.ts) whose float output feeds only a per-tensor
 * QuantizeLinear to 8 bits, as static QDQ models quantize the MLP activation,
 *
 *   g = lowbit.GeluErf(x);  y = QuantizeLinear(g, y_scale, y_zero_point)
 *
 * becomes `y = lowbit.QGeluErf(x, y_scale, y_zero_point)` (packages/kernels/src/nn/gelu-erf.ts) with the GELU's
 * attributes: the quantized output is written directly, the float activation is never stored. Exact: the fused
 * kernels compute the same float32 GELU and the same quantization, so results are bit-identical to the two nodes run
 * by the same backend.
 *
 * Preconditions: g read only by the QuantizeLinear and neither a graph output nor kept; y_scale a float32 constant
 * of one element, y_zero_point a uint8 or int8 constant of one element (present), no `block_size`, `precision` or
 * conflicting `output_dtype`; a `lowbit.QGeluErf` kernel ranking no lower than GeluErf's. Identity rule: nothing
 * fused -> the same model back.
 */
import { editGraph } from '@lowbit/onnx-ir';
import type { Model, Node, Pass, PassContext } from '@lowbit/onnx-ir';
import { Constants, fusionPays, isOp, LOWBIT_DOMAIN, passOptions, soleConsumer } from './support.js';

export const fuseGeluQuantize: Pass = {
  name: 'fuse-gelu-quantize',
  run(m: Model, ctx: PassContext) {
    const opts = passOptions(ctx);
    const isGelu = (n: Node | undefined): n is Node => n !== undefined && n.opType === 'GeluErf' && n.domain === LOWBIT_DOMAIN;
    if (!m.graph.nodes.some(isGelu) || !fusionPays(opts, `${LOWBIT_DOMAIN}.QGeluErf:f32`, `${LOWBIT_DOMAIN}.GeluErf:f32`)) return { model: m, modified: false };
    const consts = new Constants(m.graph);
    const g = editGraph(m.graph, (e) => {
      for (const gelu of m.graph.nodes) {
        if (!isGelu(gelu) || gelu.inputs.length !== 1 || !gelu.outputs[0]) continue;
        const q = soleConsumer(m.graph, opts, gelu.outputs[0]);
        if (!isOp(q, 'QuantizeLinear') || q.inputs[0] !== gelu.outputs[0] || !q.outputs[0] || !perTensor8(consts, q)) continue;
        e.removeNode(gelu);
        e.removeValueInfo(gelu.outputs[0]);
        e.replaceNode(q, {
          opType: 'QGeluErf', domain: LOWBIT_DOMAIN, inputs: [gelu.inputs[0]!, q.inputs[1]!, q.inputs[2]!], outputs: [q.outputs[0]],
          name: e.freshName(`${gelu.name || 'GeluErf'}_q`), attributes: gelu.attributes,
        });
      }
    });
    if (g === m.graph) return { model: m, modified: false };
    return { model: { ...m, graph: g }, modified: true };
  },
};

/** QuantizeLinear with a one-element float32 scale and a one-element 8-bit zero point, plain integer semantics. */
export function perTensor8(c: Constants, q: Node): boolean {
  const scale = c.tensor(q.inputs[1]);
  const zp = c.tensor(q.inputs[2]);
  if (!scale || scale.dtype !== 'float32' || scale.data.length !== 1) return false;
  if (!zp || (zp.dtype !== 'uint8' && zp.dtype !== 'int8') || zp.data.length !== 1) return false;
  for (const a of q.attributes) {
    if (a.name === 'axis' || a.name === 'saturate') continue;
    if (a.name === 'block_size' && a.type === 'int' && a.value === 0n) continue;
    if (a.name === 'output_dtype' && a.type === 'int' && (a.value === 0n || a.value === (zp.dtype === 'uint8' ? 2n : 3n))) continue;
    return false;
  }
  return true;
}
