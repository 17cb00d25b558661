/**
 * Pass `fuse-quantized-pair`: a binary element-wise float op between two dequantized 8-bit values whose result is
 * quantized again (a static QDQ model's residual Add),
 *
 *   DequantizeLinear(a_q, sa, za) -> a;  DequantizeLinear(b_q, sb, zb) -> b;  op(a, b) -> y;  QuantizeLinear(y, sy, zy)
 *
 * becomes one `lowbit.QLookup2(a_q, b_q, table)` (packages/kernels/src/quant/qlookup2.ts): out = table[byte(a_q) * 256
 * + byte(b_q)]. The 65536-entry table is computed here by running exactly the original nodes (both DequantizeLinears,
 * the op, the QuantizeLinear) with the scalar reference kernels on every byte pair, so the fused result is
 * bit-identical to the unfused graph on the reference kernels by construction. The DequantizeLinears stay while other
 * nodes read them (dead-code elimination takes the rest).
 *
 * Preconditions: op one of `BINARY` (default domain, two inputs, one output), its output read only by the
 * QuantizeLinear and removable; QuantizeLinear and both DequantizeLinears per tensor with a constant float32 scale and
 * a constant 8-bit zero point, block_size 0, output_dtype 0 or the zero point's (float for the DequantizeLinears);
 * a_q and b_q not constants; the reference evaluation succeeds. Rank guard: a `lowbit.QLookup2` kernel exists (u8 and
 * i8). The model gains the `lowbit` opset import. Identity rule: nothing fused -> the same model back.
 */
import { attrInt, DataType, editGraph, graphIndex, tensorFromValues } from '@lowbit/onnx-ir';
import type { Graph, Node, Pass, PassContext } from '@lowbit/onnx-ir';
import { createReferenceRegistry, Tensor, type KernelRegistry } from '@lowbit/kernels';
import { Constants, evaluateConstantNode, isOp, LOWBIT_DOMAIN, onnxOpset, passOptions, soleConsumer } from './support.js';

const BINARY = new Set(['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min']);
const Q8: Record<string, DataType> = { uint8: DataType.UINT8, int8: DataType.INT8 };

function perTensor8(c: Constants, n: Node): boolean {
  const s = c.tensor(n.inputs[1]);
  const z = c.tensor(n.inputs[2]);
  return !!s && s.dtype === 'float32' && s.data.length === 1 && !!z && z.dtype in Q8 && z.data.length === 1 && attrInt(n, 'block_size', 0) === 0;
}

/** The DequantizeLinear producing `v` from non-constant bytes, per tensor, float output. */
function dequantOf(g: Graph, c: Constants, v: string | null | undefined): Node | undefined {
  const p = v ? graphIndex(g).producer(v)?.node : undefined;
  if (!isOp(p, 'DequantizeLinear') || p.outputs[0] !== v || !p.inputs[0] || c.tensor(p.inputs[0]) || !perTensor8(c, p)) return undefined;
  return [0, DataType.FLOAT].includes(attrInt(p, 'output_dtype', 0)) ? p : undefined;
}

/** The 65536 outputs of DQ(a), DQ(b) -> op -> Q over every byte pair (a the high byte), or undefined. */
function pairTable(c: Constants, opset: number, registry: KernelRegistry, da: Node, db: Node, op: Node, q: Node): Tensor | undefined {
  const bytes = (dtype: string, hi: boolean) => {
    const u = new Uint8Array(65536);
    for (let i = 0; i < 65536; i++) u[i] = hi ? i >> 8 : i & 255;
    return dtype === 'uint8' ? new Tensor('uint8', u, [65536]) : new Tensor('int8', new Int8Array(u.buffer), [65536]);
  };
  try {
    const [za, zb] = [c.tensor(da.inputs[2])!, c.tensor(db.inputs[2])!];
    const [fa] = evaluateConstantNode(da, [bytes(za.dtype, true), c.tensor(da.inputs[1])!, za], opset, registry);
    const [fb] = evaluateConstantNode(db, [bytes(zb.dtype, false), c.tensor(db.inputs[1])!, zb], opset, registry);
    const [f] = evaluateConstantNode(op, [fa, fb], opset, registry);
    const [t] = evaluateConstantNode(q, [f, c.tensor(q.inputs[1])!, c.tensor(q.inputs[2])!], opset, registry);
    return t && t.dtype in Q8 && t.data.length === 65536 ? t : undefined;
  } catch {
    return undefined;
  }
}

export const fuseQuantizedPair: Pass = {
  name: 'fuse-quantized-pair',
  run(m, ctx: PassContext) {
    const g = m.graph;
    if (!g.nodes.some((n) => isOp(n, 'QuantizeLinear'))) return { model: m, modified: false };
    const opts = passOptions(ctx);
    if (opts.rank && (opts.rank(`${LOWBIT_DOMAIN}.QLookup2:u8`) === undefined || opts.rank(`${LOWBIT_DOMAIN}.QLookup2:i8`) === undefined)) return { model: m, modified: false };
    const consts = new Constants(g);
    const opset = onnxOpset(m);
    const registry = createReferenceRegistry();
    const idx = graphIndex(g);
    const found: { q: Node; op: Node; a: string; b: string; table: Tensor }[] = [];
    for (const q of g.nodes) {
      if (!isOp(q, 'QuantizeLinear') || !q.outputs[0] || !perTensor8(consts, q)) continue;
      const z = consts.tensor(q.inputs[2])!;
      const od = attrInt(q, 'output_dtype', 0);
      if (od !== 0 && od !== Q8[z.dtype]) continue;
      const op = idx.producer(q.inputs[0] ?? '')?.node;
      if (!op || !BINARY.has(op.opType) || !isOp(op, op.opType) || op.inputs.length !== 2 || op.outputs.length !== 1) continue;
      if (soleConsumer(g, opts, op.outputs[0]) !== q) continue;
      const [da, db] = [dequantOf(g, consts, op.inputs[0]), dequantOf(g, consts, op.inputs[1])];
      if (!da || !db) continue;
      const table = pairTable(consts, opset, registry, da, db, op, q);
      if (table) found.push({ q, op, a: da.inputs[0]!, b: db.inputs[0]!, table });
    }
    if (found.length === 0) return { model: m, modified: false };
    const out = editGraph(g, (e) => {
      for (const { q, op, a, b, table } of found) {
        const tn = e.freshName(`${q.outputs[0]}_pair_table`);
        e.addInitializer(tensorFromValues(tn, Q8[table.dtype], [65536], table.data as Uint8Array | Int8Array));
        e.removeNode(op);
        e.removeValueInfo(op.outputs[0]!);
        e.replaceNode(q, { opType: 'QLookup2', domain: LOWBIT_DOMAIN, inputs: [a, b, tn], outputs: [q.outputs[0]!], attributes: [], name: e.freshName(`${op.name || op.opType}_pair`) });
      }
    });
    const opsetImports = m.opsetImports.some((o) => o.domain === LOWBIT_DOMAIN) ? m.opsetImports : [...m.opsetImports, { domain: LOWBIT_DOMAIN, version: 1 }];
    return { model: { ...m, graph: out, opsetImports }, modified: true };
  },
};
