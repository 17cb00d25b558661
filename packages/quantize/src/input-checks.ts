/**
 * What the quantizer assumes of a node before rewriting it, checked up front on the input model so a malformed node
 * is a NodeError naming it (exit 3 in the CLI), never a crash deep inside a rewrite or a silently broken output.
 */
import { isDefaultDomain, NodeError, subgraphsOf, type Graph, type Model, type Node } from '@lowbit/onnx-ir';

/** Least number of (non-empty) inputs an operator needs. */
const MIN_INPUTS: Readonly<Record<string, number>> = {
  Conv: 2, ConvTranspose: 2, MatMul: 2, Gemm: 2, Concat: 1, Add: 2, Sub: 2, Mul: 2, Div: 2, Gather: 2, LSTM: 3, GRU: 3,
  Relu: 1, Sigmoid: 1, Softmax: 1, MaxPool: 1, AveragePool: 1, GlobalAveragePool: 1, Reshape: 2, Transpose: 1,
};
/** Operators whose input[1] (the weight) has rank >= 3 when its dims are known: M x C/group x kernel... */
const CONV_LIKE = new Set(['Conv', 'ConvTranspose', 'ConvInteger']);

/** Throws a NodeError for the first node the quantizer cannot take (wrong arity, a Conv weight of rank < 3). */
export function checkQuantizable(m: Model): void {
  checkGraph(m.graph, []);
}

function checkGraph(g: Graph, path: readonly string[]): void {
  const dims = new Map(g.initializers.map((t) => [t.name, t.dims]));
  for (const n of g.nodes) {
    if (!isDefaultDomain(n.domain)) continue;
    const nodePath = [...path, n.name];
    const present = n.inputs.filter((i) => i !== null && i !== '').length;
    const need = MIN_INPUTS[n.opType];
    if (need !== undefined && present < need) {
      throw new NodeError(n, `has ${present} input(s), expected at least ${need}`, { nodePath });
    }
    if (CONV_LIKE.has(n.opType)) checkConvWeight(n, dims, nodePath);
    for (const sg of subgraphsOf(n)) checkGraph(sg, nodePath);
  }
}

function checkConvWeight(n: Node, dims: ReadonlyMap<string, readonly number[]>, nodePath: readonly string[]): void {
  const w = n.inputs[1];
  const d = w ? dims.get(w) : undefined;
  if (d !== undefined && d.length < 3) {
    throw new NodeError(n, `input[1] "${w}" (the weight) has dims [${d.join(', ')}], expected rank >= 3 (M x C/group x kernel...)`, { inputIndex: 1, nodePath });
  }
}
