/**
 * Pass `qdq-to-qoperator`: turns QDQ groups into onnx QOperator form where an exact operator exists:
 *
 * - `DQ(x) , DQ(w) [, DQ(b int32)] -> Conv [-> Relu|Clip] -> Q(y)` becomes `QLinearConv(x_q, x_s, x_zp, w_q, w_s, w_zp,
 *   y_s, y_zp [, b_q])`.
 * - `DQ(a), DQ(b) -> MatMul [-> Relu|Clip] -> Q(y)` becomes `QLinearMatMul`.
 *
 * A Relu/Clip between the op and its Q is dropped only when the Q's saturation already implies it, i.e. the
 * representable range `[(qmin - zp) * s, (qmax - zp) * s]` lies inside the activation's clip range (for Relu: zp = qmin).
 * Everything else stays in QDQ form (the "Q/DQ around the rest"), including int8 activations with uint8 weights,
 * which onnxruntime's QLinearConv/QLinearMatMul do not implement. Groups whose activation parameters are not per-tensor
 * or whose values are read elsewhere are left alone. Identity rule: nothing converted -> the same model back.
 */
import { editGraph, eliminateDeadCode, graphIndex, isDefaultDomain } from '@lowbit/onnx-ir';
import type { GraphEditor, Model, Node } from '@lowbit/onnx-ir';
import { Constants, tidyGraph } from './edit-support.js';
import { withGraph } from './model-opset.js';
import { result, type RewritePass } from './pass-contract.js';
import { intInfo, type IntQuantDType } from '@lowbit/qparams';
import { tensorNumbers } from './tensor-data.js';
import { DataType } from '@lowbit/onnx-ir';

const PASS = 'qdq-to-qoperator';

export interface QOperatorOptions {
  /** Ops to convert (default Conv and MatMul). */
  readonly opTypes?: readonly string[];
  /** Allow per-column `b` parameters for QLinearMatMul (default false: onnxruntime accepts per-tensor only). */
  readonly perColumnMatMul?: boolean;
}

const QTYPE: Partial<Record<number, IntQuantDType>> = { [DataType.UINT8]: 'uint8', [DataType.INT8]: 'int8' };

export function qdqToQOperator(options: QOperatorOptions = {}): RewritePass {
  const ops = options.opTypes ?? ['Conv', 'MatMul'];
  return {
    name: PASS,
    run(m: Model) {
      const consts = new Constants(m.graph);
      const edited = editGraph(m.graph, (e) => {
        for (const n of m.graph.nodes) {
          if (!ops.includes(n.opType) || !isDefaultDomain(n.domain)) continue;
          convert(e, consts, n, options);
        }
      });
      if (edited === m.graph) return result(m, m);
      return result(m, withGraph(m, tidyGraph(m.graph, eliminateDeadCode(edited), { pruneInitializers: true })));
    },
  };
}

function dqOf(e: GraphEditor, name: string | null | undefined): Node | undefined {
  if (!name) return undefined;
  const p = e.producer(name);
  return p && p.opType === 'DequantizeLinear' && p.domain === '' ? p : undefined;
}

function isScalar(c: Constants, name: string | null | undefined): boolean {
  const t = c.get(name);
  return !!t && t.dims.reduce((a, b) => a * b, 1) === 1;
}

/** The quantized 8-bit type of a zero-point tensor. */
function zpType(c: Constants, name: string | null | undefined): IntQuantDType | undefined {
  const t = c.get(name);
  return t ? QTYPE[t.dtype] : undefined;
}

function convert(e: GraphEditor, c: Constants, n: Node, options: QOperatorOptions): void {
  const dqx = dqOf(e, n.inputs[0]);
  const dqw = dqOf(e, n.inputs[1]);
  if (!dqx || !dqw || !isScalar(c, dqx.inputs[1]) || !zpType(c, dqx.inputs[2]) || !zpType(c, dqw.inputs[2])) return;
  if (n.opType === 'MatMul' && !options.perColumnMatMul && !isScalar(c, dqw.inputs[1])) return;
  // onnxruntime implements u8 x u8, u8 x s8 and s8 x s8; s8 activations with u8 weights stay in QDQ form
  if (zpType(c, dqx.inputs[2]) === 'int8' && zpType(c, dqw.inputs[2]) === 'uint8') return;
  if (n.opType === 'Conv' && !c.get(dqw.inputs[0])) return;
  let bias: string | null = null;
  if (n.opType === 'Conv' && n.inputs[2]) {
    const dqb = dqOf(e, n.inputs[2]);
    const bq = dqb && c.get(dqb.inputs[0]);
    if (!dqb || !bq || bq.dtype !== DataType.INT32) return;
    if (dqb.inputs[2] && Array.from(tensorNumbers(c.get(dqb.inputs[2])!)).some((v) => v !== 0)) return;
    bias = dqb.inputs[0];
  }
  const y = n.outputs[0];
  if (!y || graphIndex(e.original).isGraphOutput(y)) return;
  let cons = e.users(y);
  if (cons.length !== 1) return;
  const removed: Node[] = [n];
  let act: Node | undefined;
  if (cons[0].opType === 'Relu' || cons[0].opType === 'Clip') {
    act = cons[0];
    const r = act.outputs[0];
    if (!r || graphIndex(e.original).isGraphOutput(r)) return;
    cons = e.users(r);
    if (cons.length !== 1) return;
    removed.push(act);
  }
  const q = cons[0];
  if (q.opType !== 'QuantizeLinear' || !isScalar(c, q.inputs[1]) || !q.inputs[2]) return;
  const yType = zpType(c, q.inputs[2]);
  if (!yType) return;
  if (act && !activationImplied(c, act, q, yType)) return;
  removed.push(q);
  const inputs = n.opType === 'Conv'
    ? [dqx.inputs[0], dqx.inputs[1], dqx.inputs[2], dqw.inputs[0], dqw.inputs[1], dqw.inputs[2], q.inputs[1], q.inputs[2], ...(bias ? [bias] : [])]
    : [dqx.inputs[0], dqx.inputs[1], dqx.inputs[2], dqw.inputs[0], dqw.inputs[1], dqw.inputs[2], q.inputs[1], q.inputs[2]];
  // The group collapses into one node where its Q was.
  for (const r of removed) if (r !== q) e.removeNode(r);
  e.replaceNode(q, {
    opType: n.opType === 'Conv' ? 'QLinearConv' : 'QLinearMatMul', inputs, outputs: [q.outputs[0]!],
    attributes: n.opType === 'Conv' ? n.attributes : [], name: e.freshName(`${n.name}_quant`),
  });
}

/** True when Q's saturation makes the Relu/Clip before it a no-op. */
function activationImplied(c: Constants, act: Node, q: Node, t: IntQuantDType): boolean {
  const s = tensorNumbers(c.get(q.inputs[1])!)[0];
  const zp = tensorNumbers(c.get(q.inputs[2])!)[0];
  const { qmin, qmax } = intInfo(t);
  const lo = (qmin - zp) * s;
  const hi = (qmax - zp) * s;
  if (act.opType === 'Relu') return zp === qmin;
  const cmin = act.inputs[1] ? c.get(act.inputs[1]) : undefined;
  const cmax = act.inputs[2] ? c.get(act.inputs[2]) : undefined;
  if ((act.inputs[1] && !cmin) || (act.inputs[2] && !cmax)) return false;
  const min = cmin ? tensorNumbers(cmin)[0] : -Infinity;
  const max = cmax ? tensorNumbers(cmax)[0] : Infinity;
  return min <= lo && hi <= max;
}
