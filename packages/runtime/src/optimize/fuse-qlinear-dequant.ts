/**
 * Pass `fuse-qlinear-matmul-dequantize`: a QLinearMatMul whose 8-bit output is only dequantized, and then given a
 * constant bias, as static QDQ quantization leaves a MatMul + bias Add once `fuse-qdq-qlinear` has run,
 *
 *   QLinearMatMul(a, a_s, a_zp, b, b_s, b_zp, y_s, y_zp) -> DequantizeLinear(., y_s, y_zp) [-> Add(., bias)]
 *
 * becomes one `lowbit.QLinearMatMulToFloat(a, a_s, a_zp, b, b_s, b_zp, y_s, y_zp [, bias])`
 * (packages/kernels/src/quant/qlinear-matmul-to-float.ts). Exact: the fused kernel performs the same steps (the
 * QLinearMatMul's requantization to 8 bits included), so results are bit-identical. Saves two passes over the output
 * and its 8-bit and float intermediates.
 *
 * Preconditions: the DequantizeLinear reads the QLinearMatMul's own y_scale and y_zero_point (the same names, or
 * constants of equal value), both per tensor, y_scale float32, float32 output; the bias (when fused) a float32
 * constant of 1 or N values (N: the last dim of a constant B) on the other side of the Add; a_zp, b_zp and y_zp
 * 8-bit constants (they give the kernel key); every removed intermediate read only inside the pattern and neither a
 * graph output nor kept; a `lowbit.QLinearMatMulToFloat` kernel ranking no lower than the QLinearMatMul's. The model
 * gains the `lowbit` opset import (version 1). Identity rule: nothing fused -> the same model back.
 */
import { attrInt, DataType, editGraph } from '@lowbit/onnx-ir';
import type { Graph, Model, Node, Pass, PassContext } from '@lowbit/onnx-ir';
import { Constants, fusionPays, isOp, LOWBIT_DOMAIN, passOptions, soleConsumer, type OptimizePassOptions } from './support.js';

const SHORT: Record<string, string> = { uint8: 'u8', int8: 'i8' };

export const fuseQLinearMatMulDequantize: Pass = {
  name: 'fuse-qlinear-matmul-dequantize',
  run(m: Model, ctx: PassContext) {
    if (!m.graph.nodes.some((n) => isOp(n, 'QLinearMatMul'))) return { model: m, modified: false };
    const opts = passOptions(ctx);
    const consts = new Constants(m.graph);
    const g = editGraph(m.graph, (e) => {
      for (const n of m.graph.nodes) {
        if (!isOp(n, 'QLinearMatMul')) continue;
        const p = match(m.graph, consts, opts, n);
        if (!p) continue;
        for (const r of p.remove) e.removeNode(r);
        for (const r of p.remove) for (const o of r.outputs) if (o) e.removeValueInfo(o);
        e.replaceNode(p.last, {
          opType: 'QLinearMatMulToFloat', domain: LOWBIT_DOMAIN, inputs: [...n.inputs.slice(0, 8), ...(p.bias ? [p.bias] : [])],
          outputs: [p.last.outputs[0]!], attributes: [], name: e.freshName(`${n.name || 'QLinearMatMul'}_float`),
        });
      }
    });
    if (g === m.graph) return { model: m, modified: false };
    const opsetImports = m.opsetImports.some((o) => o.domain === LOWBIT_DOMAIN) ? m.opsetImports : [...m.opsetImports, { domain: LOWBIT_DOMAIN, version: 1 }];
    return { model: { ...m, graph: g, opsetImports }, modified: true };
  },
};

interface Match {
  readonly remove: Node[];
  readonly last: Node;
  readonly bias?: string;
}

function match(g: Graph, c: Constants, opts: OptimizePassOptions, qm: Node): Match | undefined {
  const [, , aZp, b, , bZp, ys, yZp] = qm.inputs;
  const dq = soleConsumer(g, opts, qm.outputs[0]);
  if (!isOp(dq, 'DequantizeLinear') || !dq.outputs[0] || dq.inputs[0] !== qm.outputs[0]) return undefined;
  if (!c.same(dq.inputs[1], ys) || !c.same(dq.inputs[2], yZp)) return undefined;
  if (![0, DataType.FLOAT].includes(attrInt(dq, 'output_dtype', 0)) || attrInt(dq, 'block_size', 0) !== 0) return undefined;
  const scale = c.tensor(ys);
  const zps = [c.tensor(aZp), c.tensor(bZp) ?? c.tensor(b), c.tensor(yZp)];
  if (!scale || scale.dtype !== 'float32' || scale.data.length !== 1 || c.tensor(yZp)?.data.length !== 1) return undefined;
  if (zps.some((t) => !t || !(t.dtype in SHORT))) return undefined;
  const [ta, tb, ty] = zps.map((t) => SHORT[t!.dtype]);
  if (!fusionPays(opts, `${LOWBIT_DOMAIN}.QLinearMatMulToFloat:${ta}`, `QLinearMatMul:${ta}x${tb}->${ty}`)) return undefined;
  const remove: Node[] = [qm];
  let last: Node = dq;
  let bias: string | undefined;
  const add = soleConsumer(g, opts, dq.outputs[0]);
  if (isOp(add, 'Add') && add.outputs[0] && add.inputs.length === 2) {
    const other = add.inputs[0] === dq.outputs[0] ? add.inputs[1] : add.inputs[0];
    const bt = other && other !== dq.outputs[0] ? c.tensor(other) : undefined;
    const bw = c.tensor(b);
    const N = bw && bw.dims.length >= 2 ? bw.dims[bw.dims.length - 1] : undefined;
    if (bt && bt.dtype === 'float32' && bt.dims.length <= 1 && (bt.data.length === 1 || bt.data.length === N)) {
      remove.push(dq);
      last = add;
      bias = other!;
    }
  }
  return { remove, last, ...(bias ? { bias } : {}) };
}
