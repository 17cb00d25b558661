/**
 * Pass `fuse-lookup-gate`: a squeeze-excite block of a static QDQ model reads an 8-bit activation as float,
 *
 *   a = QLookup(x_q, table_f32)  or  a = DequantizeLinear(x_q, sx, zx)       (a float function of each byte)
 *   GlobalAveragePool(a) -> ...                                                (the squeeze)
 *   QuantizeLinear(Mul(a, gate), sy, zy)                                        (the excite, gate per channel)
 *
 * and these become `lowbit.QLookupGlobalAveragePool(x_q, table)` and `lowbit.QLookupMulQuantize(x_q, table, gate, sy,
 * zy)` (packages/kernels/src/quant/qlookup-gate.ts), so the float tensor `a` is never made (the DequantizeLinear's
 * table is its 256 outputs, computed here with the reference kernel). Bit-identical (NaN payloads of the float
 * average aside): the fused kernels compute the same float32 sum, product and quantization.
 *
 * Preconditions: a QLookup (domain lowbit) whose table is a float32 constant of 256 elements, or a per-tensor
 * DequantizeLinear (constant float32 scale, constant 8-bit zero point, block_size 0, output_dtype 0 or float) of a
 * non-constant x_q; for the excite, the Mul's output read only by a per-tensor 8-bit QuantizeLinear (constant float32
 * scale and 8-bit zero point, block_size 0, output_dtype 0 or the zero point's, precision 0 or float32) and removable
 * (not an output, kept or captured); `a` itself stays while anything else reads it. Rank guard: the fused op has a
 * kernel on the session. Identity rule: nothing fused -> the same model back.
 *
 * In the `all` pipeline (after fuse-quantized-lookup and sink-maxpool-lookup). The squeeze's QuantizeLinear, when it
 * is the average's only reader (per tensor, 8-bit, as the excite's), becomes the pool's optional inputs 2-3 (output
 * quantized); a gate that is a `lowbit.QLookup` with a float32 table read only by the Mul (HardSigmoid) comes in as its
 * bytes and table (inputs 2 and 5), so the float gate is never made either. Same results, bit for bit.
 * On ppocr-mobile-v2-cls static (9 blocks, 161 -> 125 nodes), AMD EPYC, one thread, ABBA-alternating A/B: 1.53 -> 1.18
 * ms CPU per warm run (median; the native per-plane output table and byte lookup, csrc/lookup.cc).
 */
import { attrInt, DataType, editGraph, graphIndex, normalizeDomain, tensorFromValues } from '@lowbit/onnx-ir';
import type { Graph, Node, Pass, PassContext } from '@lowbit/onnx-ir';
import { createReferenceRegistry, Tensor } from '@lowbit/kernels';
import { Constants, evaluateConstantNode, isOp, LOWBIT_DOMAIN, onnxOpset, passOptions, soleConsumer, type OptimizePassOptions } from './support.js';

const SHORT: Record<string, string> = { uint8: 'u8', int8: 'i8' };

/** The byte source of a float value: x_q, and its table (an existing initializer, or 256 values to add). */
interface Source {
  readonly xq: string;
  readonly tableName?: string;
  readonly tableValues?: Float32Array;
}

function perTensor8(c: Constants, n: Node): boolean {
  const s = c.tensor(n.inputs[1]);
  const z = c.tensor(n.inputs[2]);
  return !!s && s.dtype === 'float32' && s.data.length === 1 && !!z && z.dtype in SHORT && z.data.length === 1 && attrInt(n, 'block_size', 0) === 0;
}

export const fuseLookupGate: Pass = {
  name: 'fuse-lookup-gate',
  run(m, ctx: PassContext) {
    const g = m.graph;
    if (!g.nodes.some((n) => isOp(n, 'GlobalAveragePool') || isOp(n, 'Mul'))) return { model: m, modified: false };
    const opts = passOptions(ctx);
    const consts = new Constants(g);
    const opset = onnxOpset(m);
    const idx = graphIndex(g);
    const sources = new Map<string, Source | null>();
    const sourceOf = (a: string | null | undefined): Source | undefined => {
      if (!a) return undefined;
      if (!sources.has(a)) sources.set(a, findSource(g, consts, opset, a) ?? null);
      return sources.get(a) ?? undefined;
    };
    const has = (op: string) => !opts.rank || (opts.rank(`${LOWBIT_DOMAIN}.${op}:u8`) !== undefined && opts.rank(`${LOWBIT_DOMAIN}.${op}:i8`) !== undefined);
    const pools: { node: Node; src: Source; q?: Node }[] = [];
    const gates: { mul: Node; q: Node; src: Source; gate: string; gateLookup?: Node }[] = [];
    for (const n of g.nodes) {
      if (isOp(n, 'GlobalAveragePool') && n.outputs.length === 1 && has('QLookupGlobalAveragePool')) {
        const src = sourceOf(n.inputs[0]);
        // The squeeze's QuantizeLinear (the only reader of the average) joins the pool.
        const q = soleConsumer(g, opts, n.outputs[0]);
        if (src) pools.push({ node: n, src, q: isOp(q, 'QuantizeLinear') && q.inputs[0] === n.outputs[0] && q.outputs[0] && quantizeOk(consts, q) ? q : undefined });
      } else if (isOp(n, 'Mul') && n.inputs.length === 2 && n.outputs.length === 1 && has('QLookupMulQuantize')) {
        const q = soleConsumer(g, opts, n.outputs[0]);
        if (!isOp(q, 'QuantizeLinear') || q.inputs[0] !== n.outputs[0] || !q.outputs[0] || !quantizeOk(consts, q)) continue;
        // The activation is the operand with a byte source; when both have one, the one read elsewhere too (by the
        // squeeze) comes first: the other is then the per-channel gate.
        const order = idx.consumers(n.inputs[1] ?? '').length > idx.consumers(n.inputs[0] ?? '').length ? [1, 0] : [0, 1];
        for (const i of order) {
          const src = sourceOf(n.inputs[i]);
          const gate = n.inputs[1 - i];
          if (src && gate && !consts.tensor(gate)) {
            gates.push({ mul: n, q, src, gate, gateLookup: gateLookup(g, consts, opts, gate) });
            break;
          }
        }
      }
    }
    if (pools.length === 0 && gates.length === 0) return { model: m, modified: false };
    const out = editGraph(g, (e) => {
      const tables = new Map<Source, string>();
      const tableOf = (s: Source): string => {
        if (s.tableName) return s.tableName;
        let t = tables.get(s);
        if (!t) {
          t = e.freshName(`${s.xq}_dequantized_table`);
          e.addInitializer(tensorFromValues(t, DataType.FLOAT, [256], s.tableValues!));
          tables.set(s, t);
        }
        return t;
      };
      for (const { node, src, q } of pools) {
        if (q) {
          e.removeNode(node);
          e.removeValueInfo(node.outputs[0]!);
        }
        e.replaceNode(q ?? node, {
          opType: 'QLookupGlobalAveragePool', domain: LOWBIT_DOMAIN, inputs: [src.xq, tableOf(src), ...(q ? [q.inputs[1]!, q.inputs[2]!] : [])],
          outputs: [(q ?? node).outputs[0]!], attributes: [], name: e.freshName(`${node.name || 'GlobalAveragePool'}_lookup`),
        });
      }
      for (const { mul, q, src, gate, gateLookup } of gates) {
        e.removeNode(mul);
        e.removeValueInfo(mul.outputs[0]!);
        // A gate that is a float table lookup read only here: its bytes and table come in, the lookup goes.
        if (gateLookup) {
          e.removeNode(gateLookup);
          e.removeValueInfo(gate);
        }
        const gateInputs = gateLookup ? [gateLookup.inputs[0]!, q.inputs[1]!, q.inputs[2]!, gateLookup.inputs[1]!] : [gate, q.inputs[1]!, q.inputs[2]!];
        e.replaceNode(q, {
          opType: 'QLookupMulQuantize', domain: LOWBIT_DOMAIN, inputs: [src.xq, tableOf(src), ...gateInputs], outputs: [q.outputs[0]!], attributes: [],
          name: e.freshName(`${mul.name || 'Mul'}_lookup_quantize`),
        });
      }
      // A source read by nothing else any more is left to dead-code elimination (it may be a kept value).
    });
    const opsetImports = m.opsetImports.some((o) => o.domain === LOWBIT_DOMAIN) ? m.opsetImports : [...m.opsetImports, { domain: LOWBIT_DOMAIN, version: 1 }];
    return { model: { ...m, graph: out, opsetImports }, modified: true };
  },
};

/** The `lowbit.QLookup` (float32 table initializer of 256, non-constant bytes) producing `gate`, read only by the Mul. */
function gateLookup(g: Graph, c: Constants, opts: OptimizePassOptions, gate: string): Node | undefined {
  const p = graphIndex(g).producer(gate)?.node;
  if (!p || p.opType !== 'QLookup' || normalizeDomain(p.domain) !== LOWBIT_DOMAIN || p.outputs.length !== 1 || !p.inputs[0] || c.tensor(p.inputs[0])) return undefined;
  const t = c.tensor(p.inputs[1]);
  if (!t || t.dtype !== 'float32' || t.data.length !== 256 || !graphIndex(g).initializer(p.inputs[1]!)) return undefined;
  return soleConsumer(g, opts, gate) ? p : undefined;
}

/** Per-tensor 8-bit QuantizeLinear whose attributes change nothing for a float32 input. */
function quantizeOk(c: Constants, q: Node): boolean {
  if (!perTensor8(c, q)) return false;
  const z = c.tensor(q.inputs[2])!.dtype;
  const od = attrInt(q, 'output_dtype', 0);
  const precision = attrInt(q, 'precision', 0);
  return (od === 0 || od === (z === 'uint8' ? DataType.UINT8 : DataType.INT8)) && (precision === 0 || precision === DataType.FLOAT);
}

function findSource(g: Graph, c: Constants, opset: number, a: string): Source | undefined {
  const p = graphIndex(g).producer(a)?.node;
  if (!p || p.outputs[0] !== a || !p.inputs[0] || c.tensor(p.inputs[0])) return undefined;
  if (p.opType === 'QLookup' && normalizeDomain(p.domain) === LOWBIT_DOMAIN) {
    const t = c.tensor(p.inputs[1]);
    return t && t.dtype === 'float32' && t.data.length === 256 && graphIndex(g).initializer(p.inputs[1]!) ? { xq: p.inputs[0], tableName: p.inputs[1]! } : undefined;
  }
  if (!isOp(p, 'DequantizeLinear') || !perTensor8(c, p) || ![0, DataType.FLOAT].includes(attrInt(p, 'output_dtype', 0))) return undefined;
  const zx = c.tensor(p.inputs[2])!;
  const bytes = new Uint8Array(256).map((_, i) => i);
  const xq = zx.dtype === 'uint8' ? new Tensor('uint8', bytes, [256]) : new Tensor('int8', new Int8Array(bytes.buffer), [256]);
  try {
    const [x] = evaluateConstantNode(p, [xq, c.tensor(p.inputs[1])!, zx], opset, createReferenceRegistry());
    if (!x || x.dtype !== 'float32' || x.data.length !== 256) return undefined;
    return { xq: p.inputs[0], tableValues: x.data as Float32Array };
  } catch {
    return undefined;
  }
}
