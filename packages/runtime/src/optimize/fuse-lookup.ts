/**
 * Pass `fuse-quantized-lookup`: an 8-bit value that is dequantized, put through element-wise float ops with scalar
 * constants, and quantized again, as static QDQ quantization leaves every float activation between two quantized
 * convolutions (ppocr's HardSwish `Add(+3) -> Clip(0, 6) -> Mul(x, .) -> Div(6)`, HardSigmoid, Relu, ...),
 *
 *   DequantizeLinear(x_q, sx, zx) -> x -> [DAG of element-wise ops on x and scalar constants] -> y
 *     -> QuantizeLinear(y, sy, zy)
 *
 * becomes one `lowbit.QLookup(x_q, table)` (packages/kernels/src/quant/qlookup.ts): out = table[byte(x_q)]. The
 * 256-entry table is computed here by running exactly the original nodes (the DequantizeLinear, the DAG's nodes in
 * graph order, the QuantizeLinear) with the scalar reference kernels on the 256 possible input bytes, so the fused
 * result is bit-identical to the unfused graph on the reference kernels by construction. Then, among the nodes left,
 * a DAG whose float result y is read by other ops (ppocr's HardSwish before its squeeze-excite block) becomes a
 * `lowbit.QLookup` with a float32 table producing y itself (latest tops first, so each DAG is taken whole).
 *
 * Preconditions: QuantizeLinear and DequantizeLinear per tensor with constant float32 scale and a constant 8-bit zero
 * point (which gives the 8-bit dtypes), block_size 0, output_dtype 0 or the zero point's; every DAG node a
 * default-domain op of `ELEMENTWISE` with one output, each input either a DAG value (derived from x only) or a
 * rank-0 constant (a single-element constant of higher rank could raise the output's rank); at least one DAG node
 * and at most `MAX_NODES`; every DAG value (y included when a QuantizeLinear ends it) read only inside the pattern,
 * neither a graph output, kept nor captured by a subgraph; x_q not a constant; the reference evaluation succeeds. The DequantizeLinear stays when x has other readers.
 * Rank guard: only that a `lowbit.QLookup` kernel exists on the session (reading and writing one byte per element,
 * it does less than any one of the removed nodes, whichever kernels run them). The model gains the `lowbit` opset
 * import (version 1). Identity rule: nothing fused -> the same model back.
 */
import { attrInt, DataType, editGraph, graphIndex, normalizeDomain, tensorFromValues } from '@lowbit/onnx-ir';
import type { Graph, Node, Pass, PassContext } from '@lowbit/onnx-ir';
import { createReferenceRegistry, Tensor } from '@lowbit/kernels';
import { Constants, evaluateConstantNode, isOp, LOWBIT_DOMAIN, onnxOpset, passOptions, removable, soleConsumer, type OptimizePassOptions } from './support.js';

/** Element-wise float ops the pass folds into the table (each evaluated with its reference kernel). */
const ELEMENTWISE = new Set([
  'Add', 'Sub', 'Mul', 'Div', 'Min', 'Max', 'Pow', 'Clip', 'Relu', 'LeakyRelu', 'PRelu', 'HardSigmoid', 'HardSwish', 'Sigmoid',
  'Tanh', 'Neg', 'Abs', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Elu', 'Selu', 'Celu', 'Softplus', 'Softsign', 'Erf', 'Floor',
  'Ceil', 'Round', 'ThresholdedRelu', 'Mish', 'Gelu',
]);
const MAX_NODES = 32;
const Q8: Record<string, { short: string; onnx: DataType }> = { uint8: { short: 'u8', onnx: DataType.UINT8 }, int8: { short: 'i8', onnx: DataType.INT8 } };

export const fuseQuantizedLookup: Pass = {
  name: 'fuse-quantized-lookup',
  run(m, ctx: PassContext) {
    if (!m.graph.nodes.some((n) => isOp(n, 'DequantizeLinear'))) return { model: m, modified: false };
    const opts = passOptions(ctx);
    const consts = new Constants(m.graph);
    const opset = onnxOpset(m);
    const registry = createReferenceRegistry();
    const matches: Match[] = [];
    const used = new Set<Node>();
    const take = (p: Match | undefined) => {
      if (!p || !evaluate(p, consts, opset, registry)) return;
      matches.push(p);
      for (const n of [p.top, ...p.dag]) used.add(n);
    };
    for (const q of m.graph.nodes) if (isOp(q, 'QuantizeLinear')) take(matchQuantized(m.graph, consts, opts, q));
    for (const n of [...m.graph.nodes].reverse()) if (!used.has(n) && isElementwise(n)) take(walk(m.graph, consts, opts, n, n.inputs, used));
    if (matches.length === 0) return { model: m, modified: false };
    const idx = graphIndex(m.graph);
    const g = editGraph(m.graph, (e) => {
      for (const p of matches) {
        for (const r of p.dag) {
          e.removeNode(r);
          for (const o of r.outputs) if (o) e.removeValueInfo(o);
        }
        const base = p.top.name || p.top.opType;
        const table = e.freshName(`${base}_lookup_table`);
        e.addInitializer(tensorFromValues(table, DTYPES[p.table!.dtype].onnx, [256], p.table!.data as never));
        e.replaceNode(p.top, {
          opType: 'QLookup', domain: LOWBIT_DOMAIN, inputs: [p.dqs[0].inputs[0]!, table], outputs: [p.top.outputs[0]!], attributes: [],
          name: e.freshName(`${base}_lookup`),
        });
      }
      // A DequantizeLinear read only by fused nodes goes too (DequantizeLinear outputs one value).
      for (const dq of new Set(matches.flatMap((p) => p.dqs))) {
        const x = dq.outputs[0]!;
        if (removable(m.graph, opts, x) && idx.captures(x).length === 0 && idx.consumers(x).every((u) => used.has(u.node))) {
          e.removeNode(dq);
          e.removeValueInfo(x);
        }
      }
    });
    const opsetImports = m.opsetImports.some((o) => o.domain === LOWBIT_DOMAIN) ? m.opsetImports : [...m.opsetImports, { domain: LOWBIT_DOMAIN, version: 1 }];
    return { model: { ...m, graph: g, opsetImports }, modified: true };
  },
};

interface Match {
  /** The node the QLookup replaces (keeping its output): the QuantizeLinear, or the float DAG's last node. */
  readonly top: Node;
  /** The DequantizeLinear nodes the DAG reads (one, or equal ones of the same x_q). */
  readonly dqs: Node[];
  /** The other removed nodes, in graph order. */
  readonly dag: Node[];
  /** The table's dtype (the QuantizeLinear's zero point's, or float32). */
  readonly out: 'uint8' | 'int8' | 'float32';
  /** Set by `evaluate`: the 256 outputs, indexed by the input byte. */
  table?: Tensor;
}

const DTYPES: Record<string, { short: string; onnx: DataType }> = { ...Q8, float32: { short: 'f32', onnx: DataType.FLOAT } };

const isElementwise = (n: Node) => ELEMENTWISE.has(n.opType) && normalizeDomain(n.domain) === '' && n.outputs.length === 1 && !!n.outputs[0];

/** A per-tensor 8-bit quantization: float32 scale and 8-bit zero point, one constant value each. */
function perTensor8(c: Constants, n: Node): boolean {
  const s = c.tensor(n.inputs[1]);
  const z = c.tensor(n.inputs[2]);
  return !!s && s.dtype === 'float32' && s.data.length === 1 && !!z && z.dtype in Q8 && z.data.length === 1 && attrInt(n, 'block_size', 0) === 0;
}

function matchQuantized(g: Graph, c: Constants, opts: OptimizePassOptions, q: Node): Match | undefined {
  const y = q.inputs[0];
  if (!y || !q.outputs[0] || !perTensor8(c, q)) return undefined;
  const z = c.tensor(q.inputs[2])!.dtype;
  const od = attrInt(q, 'output_dtype', 0);
  if (od !== 0 && od !== Q8[z].onnx) return undefined;
  if (soleConsumer(g, opts, y) !== q) return undefined;
  return walk(g, c, opts, q, [y], new Set(), z as Match['out']);
}

/**
 * The DAG feeding `top` through `starts` (its non-constant inputs; constants must be rank-0) back to DequantizeLinear
 * outputs, with `top` reading it; undefined when the preconditions fail or a node is in `used`.
 */
function walk(g: Graph, c: Constants, opts: OptimizePassOptions, top: Node, starts: readonly (string | null | undefined)[], used: ReadonlySet<Node>, out: Match['out'] = 'float32'): Match | undefined {
  const idx = graphIndex(g);
  const dag = new Set<Node>();
  const values = new Set<string>();
  const dqs: Node[] = [];
  const stack: string[] = [];
  const inputsOf = (n: Node): boolean => {
    for (const i of n.inputs) {
      if (!i) continue;
      const t = c.tensor(i);
      if (t) {
        if (t.dims.length !== 0) return false;
        continue;
      }
      stack.push(i);
    }
    return true;
  };
  if (top.opType === 'QuantizeLinear') stack.push(...(starts.filter(Boolean) as string[]));
  else if (!inputsOf(top)) return undefined;
  while (stack.length) {
    const v = stack.pop()!;
    if (values.has(v)) continue;
    values.add(v);
    const p = idx.producer(v)?.node;
    if (!p || used.has(p)) return undefined;
    if (p.opType === 'DequantizeLinear' && normalizeDomain(p.domain) === '') {
      if (p.outputs[0] !== v || !p.inputs[0] || c.tensor(p.inputs[0]) || !perTensor8(c, p) || ![0, DataType.FLOAT].includes(attrInt(p, 'output_dtype', 0))) return undefined;
      // Several DequantizeLinear nodes (QDQ models give each reader its own) must dequantize one x_q the same way.
      if (dqs.length && (p.inputs[0] !== dqs[0].inputs[0] || !c.same(p.inputs[1], dqs[0].inputs[1]) || !c.same(p.inputs[2], dqs[0].inputs[2]))) return undefined;
      dqs.push(p);
      continue;
    }
    if (!isElementwise(p) || dag.size >= MAX_NODES) return undefined;
    dag.add(p);
    if (!inputsOf(p)) return undefined;
  }
  // A QuantizeLinear top needs at least one float op between (a bare DequantizeLinear -> QuantizeLinear is cancel-dq-q's).
  if (dqs.length === 0 || (top.opType === 'QuantizeLinear' && dag.size === 0)) return undefined;
  const roots = new Set(dqs.map((d) => d.outputs[0]!));
  // Every DAG value is read only inside the pattern (by DAG nodes or the top) and may disappear.
  for (const v of values) {
    if (roots.has(v)) continue;
    if (!removable(g, opts, v) || idx.captures(v).length > 0 || !idx.consumers(v).every((u) => dag.has(u.node) || u.node === top)) return undefined;
  }
  const key = `${LOWBIT_DOMAIN}.QLookup:${Q8[c.tensor(dqs[0].inputs[2])!.dtype].short}`;
  if (opts.rank && opts.rank(key) === undefined) return undefined;
  return { top, dqs, dag: g.nodes.filter((n) => dag.has(n)), out };
}

/** Runs the DequantizeLinear, the DAG and the top on the 256 input bytes with the reference kernels; false when a step does not apply. */
function evaluate(p: Match, c: Constants, opset: number, registry: ReturnType<typeof createReferenceRegistry>): boolean {
  const dq = p.dqs[0];
  const zx = c.tensor(dq.inputs[2])!;
  const bytes = new Uint8Array(256).map((_, i) => i);
  const xq = zx.dtype === 'uint8' ? new Tensor('uint8', bytes, [256]) : new Tensor('int8', new Int8Array(bytes.buffer), [256]);
  const env = new Map<string, Tensor>();
  const arg = (name: string | null | undefined): Tensor | null => (name ? env.get(name) ?? c.tensor(name) ?? null : null);
  try {
    const [x] = evaluateConstantNode(dq, [xq, arg(dq.inputs[1]), arg(dq.inputs[2])], opset, registry);
    if (!x || x.dtype !== 'float32' || x.data.length !== 256) return false;
    for (const d of p.dqs) env.set(d.outputs[0]!, x);
    for (const n of [...p.dag, p.top]) {
      const ins = n.inputs.map(arg);
      if (n.inputs.some((name, i) => name && !ins[i])) return false;
      const [o] = evaluateConstantNode(n, ins, opset, registry);
      if (!o || o.dtype !== (n === p.top ? p.out : 'float32') || o.data.length !== 256) return false;
      env.set(n.outputs[0]!, o);
    }
    p.table = env.get(p.top.outputs[0]!)!;
    return true;
  } catch {
    // An op whose reference kernel does not take these inputs (dtype, attribute): not fused.
    return false;
  }
}
