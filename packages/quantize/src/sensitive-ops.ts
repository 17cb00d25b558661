/**
 * Numerically sensitive ops and the layers feeding them, kept float in static and dynamic mode by default
 * (`keepSensitiveFloat`, default true).
 *
 * Log, Exp, Pow, Div, Sqrt, Reciprocal and Softmax amplify the error of a uniformly quantized input where its values
 * are small (log x, 1/x, x^p near 0) or large (exp x): a power spectrum quantized to 256 levels puts most bins at 0,
 * and `Log(0 + eps)` turns that into a large error. The rule, per graph (main and every control-flow body):
 *
 * - From each sensitive op, walk upstream through value-preserving or elementwise ops whose other inputs are constants
 *   (Add/Sub/Mul/Div with a constant, Relu, Abs, Neg, Clip, Cast, Reshape, Transpose, Squeeze, Unsqueeze, Slice,
 *   Gather, Identity, Flatten), and through squares (`Mul(x, x)`, `Pow(x, 2)`) and the sum of two squares
 *   (`Add(a², b²)`, a magnitude).
 * - The first Conv/MatMul/Gemm reached is kept float (its input and output stay float). The walk goes on past it,
 *   and the next compute node up is kept float too when a square lies between the two (a square doubles the
 *   dynamic range, in dB, of what feeds it: `MatMul (DFT) -> Mul(y, y) -> MatMul (mel) -> Log`).
 *
 * Each kept node is recorded with its reason (`KeptFloat`), in the model's `lowbit.coverage` metadata.
 */
import { graphIndex, subgraphsOf } from '@lowbit/onnx-ir';
import type { Graph, Model, Node } from '@lowbit/onnx-ir';
import { COMPUTE_OPS } from '@lowbit/rewriters';
import type { NodeSelection } from '@lowbit/rewriters';
import type { KeptFloat } from './coverage.js';

export const SENSITIVE_OPS: readonly string[] = ['Log', 'Exp', 'Pow', 'Div', 'Sqrt', 'Reciprocal', 'Softmax', 'LogSoftmax'];

const PASS_THROUGH = new Set(['Add', 'Sub', 'Mul', 'Div', 'Relu', 'Abs', 'Neg', 'Clip', 'Cast', 'Reshape', 'Transpose', 'Squeeze', 'Unsqueeze', 'Slice', 'Gather', 'Identity', 'Flatten', 'Pow']);

/** The compute nodes to keep float, at every depth, each once, with the reason. */
export function sensitiveNodes(m: Model): KeptFloat[] {
  const out = new Map<string, string>();
  const visit = (g: Graph): void => {
    scanGraph(g, out);
    for (const n of g.nodes) for (const sg of subgraphsOf(n)) visit(sg);
  };
  visit(m.graph);
  return [...out].map(([node, reason]) => ({ node, reason }));
}

function scanGraph(g: Graph, out: Map<string, string>): void {
  const idx = graphIndex(g);
  const isConst = (v: string | null): boolean => !v || (!!idx.initializer(v) && !idx.input(v)) || idx.producer(v)?.node.opType === 'Constant';
  const isSquare = (n: Node): boolean => (n.opType === 'Mul' && n.inputs[0] === n.inputs[1] && !!n.inputs[0])
    || (n.opType === 'Pow' && isConst(n.inputs[1]));
  for (const s of g.nodes) {
    if (!SENSITIVE_OPS.includes(s.opType)) continue;
    // Pow/Div: the base / numerator (and Div's denominator) are the sensitive inputs; Softmax etc.: input 0
    const starts = s.opType === 'Div' ? [s.inputs[0], s.inputs[1]] : [s.inputs[0]];
    const seen = new Set<string>();
    // depth: compute nodes passed so far; past the first, only a square on the way makes the next one sensitive
    const stack: { v: string; squared: boolean; hops: number; depth: number }[] = starts.filter((v): v is string => !!v && !isConst(v)).map((v) => ({ v, squared: false, hops: 0, depth: 0 }));
    while (stack.length > 0) {
      const { v, squared, hops, depth } = stack.pop()!;
      const key = `${v}|${squared}|${depth}`;
      if (seen.has(key) || hops > 8) continue;
      seen.add(key);
      const p = idx.producer(v)?.node;
      if (!p) continue;
      if ((COMPUTE_OPS as readonly string[]).includes(p.opType)) {
        if (depth > 0 && !squared) continue;
        if (!out.has(p.name)) out.set(p.name, `feeds ${s.opType} "${s.name}"${squared ? ' through a square' : ''}`);
        if ((depth === 0 || squared) && depth < 2 && p.inputs[0] && !isConst(p.inputs[0])) stack.push({ v: p.inputs[0], squared: false, hops: hops + 1, depth: depth + 1 });
        continue;
      }
      if (!PASS_THROUGH.has(p.opType)) continue;
      const acts = p.inputs.filter((i): i is string => !!i && !isConst(i));
      const sq = isSquare(p);
      const magnitude = p.opType === 'Add' && acts.length === 2 && acts.every((a) => { const q = idx.producer(a)?.node; return q !== undefined && isSquare(q); });
      if (acts.length === 1 || sq || magnitude) for (const a of new Set(acts)) stack.push({ v: a, squared: squared || sq, hops: hops + 1, depth });
    }
  }
}

/**
 * `base` with the sensitive compute nodes of `m` excluded too (when `keep`), and those nodes with their reasons; a
 * node the user already excluded by name is not reported.
 */
export function keepSensitive(m: Model, base: NodeSelection, keep: boolean): { selection: NodeSelection; keptFloat: KeptFloat[] } {
  const keptFloat = keep ? sensitiveNodes(m).filter((k) => k.node !== '' && !excludedBy(base, k.node)) : [];
  const kept = new Set(keptFloat.map((k) => k.node));
  const selection: NodeSelection = kept.size === 0 ? base : { ...base, excludeNodes: (n) => kept.has(n.name) || (base.excludeNodes !== undefined && matches(base.excludeNodes, n)) };
  return { selection, keptFloat };
}

function matches(sel: NonNullable<NodeSelection['excludeNodes']>, n: { readonly name: string }): boolean {
  return typeof sel === 'function' ? sel(n as never) : sel.includes(n.name);
}

/** True when the user's own exclusion list names `node` (then it is not reported as kept float by the rule). */
function excludedBy(sel: NodeSelection, node: string): boolean {
  return Array.isArray(sel.excludeNodes) && sel.excludeNodes.includes(node);
}
