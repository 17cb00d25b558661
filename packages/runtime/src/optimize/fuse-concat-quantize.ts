/**
 * Pass `fuse-concat-quantize`: a Concat of dequantized 8-bit tensors that is quantized again (static QDQ models
 * leave one wherever branches join, e.g. ultraface's RFB blocks) concatenates the bytes instead,
 *
 *   QuantizeLinear(Concat(DequantizeLinear(x_1, s_1, z_1), ..., DequantizeLinear(x_n, s_n, z_n)), s, z)
 *     ->  Concat(b_1, ..., b_n)   with b_k = x_k when (s_k, z_k) = (s, z), else lowbit.QLookup(x_k, table_k)
 *
 * where table_k[byte] = QuantizeLinear(DequantizeLinear(byte, s_k, z_k), s, z), computed here with the scalar reference
 * kernels of those two nodes on the 256 possible bytes. Exact: Concat only moves elements and both quantizers are
 * per tensor, so every output element is Q(DQ_k(its input byte)); for equal parameters that is the byte itself
 * (cancel-dequantize-quantize's argument, `sameParameters`). The float32 tensors in between disappear.
 *
 * Preconditions: every Concat input is the output of a default-domain DequantizeLinear with a non-constant input,
 * a constant float32 scale and 8-bit zero point of one element each (per tensor), block_size 0 and output_dtype
 * 0/FLOAT, and the zero point's dtype equal to the QuantizeLinear's; the QuantizeLinear is per tensor the same way
 * (output_dtype 0 or its zero point's); the Concat output is read only by the QuantizeLinear and may disappear; a
 * DequantizeLinear output read elsewhere keeps its node. A lookup is used only where a `lowbit.QLookup` kernel
 * exists on the session. The model gains the `lowbit` opset import when a lookup is added. Identity rule: nothing
 * fused -> the same model back.
 */
import { attrInt, DataType, editGraph, graphIndex, tensorFromValues } from '@lowbit/onnx-ir';
import type { Graph, Node, Pass, PassContext } from '@lowbit/onnx-ir';
import { createReferenceRegistry, Tensor } from '@lowbit/kernels';
import { sameParameters } from './cancel-dq-q.js';
import { Constants, evaluateConstantNode, isOp, LOWBIT_DOMAIN, onnxOpset, passOptions, removable, soleConsumer } from './support.js';

const Q8: Record<string, { short: string; onnx: DataType }> = { uint8: { short: 'u8', onnx: DataType.UINT8 }, int8: { short: 'i8', onnx: DataType.INT8 } };

/** The 8-bit dtype of a per-tensor quantizer `n` (one-element float32 scale and 8-bit zero point, no blocks), or undefined. */
function perTensor8(c: Constants, n: Node): 'uint8' | 'int8' | undefined {
  const s = c.tensor(n.inputs[1]);
  const z = c.tensor(n.inputs[2]);
  if (!s || s.dtype !== 'float32' || s.data.length !== 1 || !z || !(z.dtype in Q8) || z.data.length !== 1) return undefined;
  if (attrInt(n, 'block_size', 0) !== 0) return undefined;
  return z.dtype as 'uint8' | 'int8';
}

interface Match {
  readonly q: Node;
  readonly concat: Node;
  readonly dqs: readonly Node[];
  /** Per Concat input: undefined when the bytes pass unchanged, else the 256-entry table. */
  readonly tables: readonly (Tensor | undefined)[];
}

export const fuseConcatQuantize: Pass = {
  name: 'fuse-concat-quantize',
  run(m, ctx: PassContext) {
    if (!m.graph.nodes.some((n) => isOp(n, 'Concat'))) return { model: m, modified: false };
    const opts = passOptions(ctx);
    const consts = new Constants(m.graph);
    const opset = onnxOpset(m);
    const registry = createReferenceRegistry();
    const matches: Match[] = [];
    for (const concat of m.graph.nodes) {
      const p = isOp(concat, 'Concat') ? match(m.graph, consts, opts, concat, opset, registry) : undefined;
      if (p) matches.push(p);
    }
    if (matches.length === 0) return { model: m, modified: false };
    const idx = graphIndex(m.graph);
    let lookups = false;
    const g = editGraph(m.graph, (e) => {
      const removed = new Set<Node>();
      for (const p of matches) {
        const base = p.concat.name || `${p.q.outputs[0]}_concat`;
        const inputs = p.dqs.map((dq, k) => {
          const x = dq.inputs[0]!;
          const t = p.tables[k];
          if (!t) return x;
          lookups = true;
          const table = e.freshName(`${base}_lookup_table`);
          e.addInitializer(tensorFromValues(table, Q8[t.dtype].onnx, [256], t.data as never));
          const y = e.freshName(`${x}_requantized`);
          e.insertBefore(p.concat, { opType: 'QLookup', domain: LOWBIT_DOMAIN, inputs: [x, table], outputs: [y], attributes: [], name: e.freshName(`${base}_lookup`) });
          return y;
        });
        e.removeNode(p.q);
        e.replaceNode(p.concat, { opType: 'Concat', domain: p.concat.domain, inputs, outputs: [p.q.outputs[0]!], attributes: p.concat.attributes, name: p.concat.name });
        e.removeValueInfo(p.concat.outputs[0]!);
        removed.add(p.concat);
      }
      // A DequantizeLinear whose output only fused Concats read goes too.
      for (const dq of new Set(matches.flatMap((p) => p.dqs))) {
        const x = dq.outputs[0]!;
        if (removable(m.graph, opts, x) && idx.captures(x).length === 0 && idx.consumers(x).every((u) => removed.has(u.node))) {
          e.removeNode(dq);
          e.removeValueInfo(x);
        }
      }
    });
    const opsetImports = !lookups || m.opsetImports.some((o) => o.domain === LOWBIT_DOMAIN) ? m.opsetImports : [...m.opsetImports, { domain: LOWBIT_DOMAIN, version: 1 }];
    return { model: { ...m, graph: g, opsetImports }, modified: true };
  },
};

function match(g: Graph, c: Constants, opts: ReturnType<typeof passOptions>, concat: Node, opset: number, registry: ReturnType<typeof createReferenceRegistry>): Match | undefined {
  const y = concat.outputs[0];
  if (!y || concat.outputs.length !== 1 || concat.inputs.length === 0) return undefined;
  const q = soleConsumer(g, opts, y);
  if (!isOp(q, 'QuantizeLinear') || q.inputs[0] !== y || !q.outputs[0]) return undefined;
  const dtype = perTensor8(c, q);
  if (!dtype) return undefined;
  const od = attrInt(q, 'output_dtype', 0);
  if (od !== 0 && od !== Q8[dtype].onnx) return undefined;
  const idx = graphIndex(g);
  const dqs: Node[] = [];
  for (const v of concat.inputs) {
    const dq = v ? idx.producer(v)?.node : undefined;
    if (!isOp(dq, 'DequantizeLinear') || dq.outputs[0] !== v || !dq.inputs[0] || c.tensor(dq.inputs[0])) return undefined;
    if (perTensor8(c, dq) !== dtype || ![0, DataType.FLOAT].includes(attrInt(dq, 'output_dtype', 0))) return undefined;
    dqs.push(dq);
  }
  const lookupKey = `${LOWBIT_DOMAIN}.QLookup:${Q8[dtype].short}`;
  const tables: (Tensor | undefined)[] = [];
  for (const dq of dqs) {
    if (sameParameters(c, dq, q)) {
      tables.push(undefined);
      continue;
    }
    if (opts.rank && opts.rank(lookupKey) === undefined) return undefined;
    const t = requantizeTable(c, dq, q, dtype, opset, registry);
    if (!t) return undefined;
    tables.push(t);
  }
  return { q, concat, dqs, tables };
}

/** QuantizeLinear(DequantizeLinear(byte)) for the 256 bytes, by the reference kernels of `dq` and `q`; undefined when they refuse. */
function requantizeTable(c: Constants, dq: Node, q: Node, dtype: 'uint8' | 'int8', opset: number, registry: ReturnType<typeof createReferenceRegistry>): Tensor | undefined {
  const bytes = new Uint8Array(256).map((_, i) => i);
  const xq = dtype === 'uint8' ? new Tensor('uint8', bytes, [256]) : new Tensor('int8', new Int8Array(bytes.buffer), [256]);
  try {
    const [x] = evaluateConstantNode(dq, [xq, c.tensor(dq.inputs[1])!, c.tensor(dq.inputs[2])!], opset, registry);
    if (!x || x.dtype !== 'float32' || x.data.length !== 256) return undefined;
    const [t] = evaluateConstantNode(q, [x, c.tensor(q.inputs[1])!, c.tensor(q.inputs[2])!], opset, registry);
    return t && t.dtype === dtype && t.data.length === 256 ? t : undefined;
  } catch {
    return undefined;
  }
}
