/**
 * Pass `fuse-dynamic-conv-quantize`: a `lowbit.DynamicQConv` (either form, after `fuse-dynamic-matmul`) whose float
 * output y is read only by readers that quantize it with DynamicQuantizeLinear's numerics, namely
 *
 *   - `lowbit.DynamicQConv` in the float form reading y as x (input 0; it quantizes x itself), and
 *   - at most one `DynamicQuantizeLinear(y)` (shared by sibling convolutions in the quantized-input form),
 *
 * becomes `lowbit.DynamicQConvQuantize` (same inputs and attributes) with the outputs (y_q, y_scale, y_zero_point) =
 * DynamicQuantizeLinear(DynamicQConv(...)): the DynamicQuantizeLinear's own output names when there is one (the node
 * goes), fresh names otherwise; every float-form reader takes the quantized-input form
 * `lowbit.DynamicQConv(y_q, w, w_s, w_zp, bias | '', y_scale, y_zero_point)`. The float tensor y never exists, so the
 * kernel can quantize the convolution's results without writing and re-reading them. Exact: the quantized-input form
 * is bit-identical to the float form on DynamicQuantizeLinear's outputs, and the fused node's outputs are exactly
 * those outputs (packages/kernels/src/quant/dynamic-qconv.ts), so results are bit-identical to the literal graph.
 *
 * Preconditions: y's shape inferred (inferShapes, each DynamicQConv read as a Conv) to at least `MIN_FUSED_ELEMENTS`
 * elements; y neither a graph output nor kept nor captured by a subgraph; every use of y one of the readers
 * above (a DynamicQConv reading y only at input 0); the fused node's kernel and the readers' quantized-input kernel
 * ranking no lower than the unfused ones. Identity rule: nothing fused -> the same model back.
 */
import { editGraph, graphIndex, inferShapes, normalizeDomain } from '@lowbit/onnx-ir';
import type { Graph, Model, Node, Pass, PassContext } from '@lowbit/onnx-ir';
import { fusionPays, isOp, LOWBIT_DOMAIN, passOptions, removable, type OptimizePassOptions } from './support.js';

/**
 * The smallest float output (elements, its shape inferred) fused. The gain is on large tensors (ultraface-rfb-320's
 * 120x160 and 60x80 layers); on small ones the separate nodes are as fast (a float-input reader runs as one bound native
 * call), and ppocr-mobile-v2-cls (symbolic dims) measured 1.04x slower with every producer fused.
 */
export const MIN_FUSED_ELEMENTS = 65536;

const isDynamicConv = (n: Node | undefined): n is Node => n !== undefined && n.opType === 'DynamicQConv' && normalizeDomain(n.domain) === LOWBIT_DOMAIN;
/** The float form: x at input 0, no x_scale / x_zero_point inputs. */
const floatForm = (n: Node): boolean => !n.inputs[5] && !n.inputs[6];

interface Producer {
  readonly node: Node;
  /** y_q, y_scale, y_zero_point: the DynamicQuantizeLinear's outputs, or undefined for fresh names. */
  readonly dql?: Node;
}

export const fuseDynamicConvQuantize: Pass = {
  name: 'fuse-dynamic-conv-quantize',
  run(m: Model, ctx: PassContext) {
    const opts = passOptions(ctx);
    const producers = matchProducers(m.graph, opts, outputSizes(m));
    if (producers.length === 0) return { model: m, modified: false };
    const g = editGraph(m.graph, (e) => {
      // the quantized outputs of each fused y, then every node rewritten once (a fused node may read a fused y too)
      const q = new Map<string, readonly [string, string, string]>();
      for (const p of producers) {
        const y = p.node.outputs[0]!;
        const base = p.node.name || 'DynamicQConv';
        const d = p.dql?.outputs;
        q.set(y, [d?.[0] || e.freshName(`${base}_q`), d?.[1] || e.freshName(`${base}_scale`), d?.[2] || e.freshName(`${base}_zero_point`)]);
      }
      const fused = new Set(producers.map((p) => p.node));
      const removed = new Set(producers.flatMap((p) => (p.dql ? [p.dql] : [])));
      for (const r of removed) e.removeNode(r);
      for (const y of q.keys()) e.removeValueInfo(y);
      for (const n of m.graph.nodes) {
        if (!isDynamicConv(n) || removed.has(n)) continue;
        const reads = q.get(n.inputs[0] ?? '');
        const isProducer = fused.has(n);
        if (!reads && !isProducer) continue;
        let inputs = [...n.inputs];
        if (reads) {
          while (inputs.length < 5) inputs.push('');
          inputs = [reads[0], ...inputs.slice(1, 5), reads[1], reads[2]];
        }
        e.replaceNode(n, {
          opType: isProducer ? 'DynamicQConvQuantize' : 'DynamicQConv', domain: LOWBIT_DOMAIN, inputs,
          outputs: isProducer ? [...q.get(n.outputs[0]!)!] : [...n.outputs], attributes: [...n.attributes], name: n.name,
        });
      }
    });
    if (g === m.graph) return { model: m, modified: false };
    return { model: { ...m, graph: g }, modified: true };
  },
};

/**
 * The element counts of the DynamicQConv outputs whose shapes infer to numbers: onnx-ir's inferShapes on the graph with
 * each DynamicQConv read as the Conv of its input and weights (same attributes, same output shape).
 */
function outputSizes(m: Model): Map<string, number> {
  const opset = m.opsetImports.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 0;
  const nodes = m.graph.nodes.map((n) => (isDynamicConv(n)
    ? { ...n, opType: 'Conv', domain: '', inputs: [n.inputs[0] ?? '', n.inputs[1] ?? ''], outputs: [n.outputs[0] ?? ''], attributes: n.attributes.filter((a) => !a.name.startsWith('activation')) }
    : n));
  const out = new Map<string, number>();
  let shapes: ReturnType<typeof inferShapes>['shapes'];
  try {
    shapes = inferShapes({ ...m.graph, nodes }, { opsetOf: (n) => (normalizeDomain(n.domain) === '' ? opset : 1) }).shapes;
  } catch {
    return out; // shapes that conflict: the session reports them; nothing is fused
  }
  for (const n of m.graph.nodes) {
    const dims = isDynamicConv(n) && n.outputs[0] ? shapes.get(n.outputs[0]) : undefined;
    if (dims && dims.every((d): d is number => typeof d === 'number')) out.set(n.outputs[0]!, dims.reduce((a, b) => a * b, 1));
  }
  return out;
}

function matchProducers(g: Graph, opts: OptimizePassOptions, sizes: ReadonlyMap<string, number>): Producer[] {
  const idx = graphIndex(g);
  const out: Producer[] = [];
  for (const n of g.nodes) {
    if (!isDynamicConv(n) || n.outputs.length !== 1) continue;
    const y = n.outputs[0];
    if (!y || !removable(g, opts, y) || idx.captures(y).length > 0 || !((sizes.get(y) ?? 0) >= MIN_FUSED_ELEMENTS)) continue;
    const uses = idx.consumers(y);
    if (uses.length === 0) continue;
    let dql: Node | undefined;
    let ok = true;
    for (const u of uses) {
      if (isDynamicConv(u.node) && floatForm(u.node) && u.inputIndex === 0 && u.node.inputs.indexOf(y, 1) < 0) {
        if (!fusionPays(opts, `${LOWBIT_DOMAIN}.DynamicQConv:u8`, `${LOWBIT_DOMAIN}.DynamicQConv:f32`)) ok = false;
        continue;
      }
      if (isOp(u.node, 'DynamicQuantizeLinear') && !dql && u.inputIndex === 0) {
        dql = u.node;
        continue;
      }
      ok = false;
    }
    const form = floatForm(n) ? 'f32' : 'u8';
    if (!ok || !fusionPays(opts, `${LOWBIT_DOMAIN}.DynamicQConvQuantize:${form}`, `${LOWBIT_DOMAIN}.DynamicQConv:${form}`)) continue;
    out.push({ node: n, ...(dql ? { dql } : {}) });
  }
  return out;
}
