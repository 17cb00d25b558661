/** Applies a graph transform to every subgraph attribute of a node, sharing whatever it leaves unchanged. */
import { hasSubgraphs } from '../graph-index.js';
import type { Attr, Graph, Node } from '../types.js';

/** `node` with `f` applied to each of its subgraphs; `node` itself when `f` returns every subgraph unchanged. */
export function mapSubgraphs(node: Node, f: (g: Graph) => Graph): Node {
  if (!hasSubgraphs(node)) return node;
  let changed = false;
  const attributes = node.attributes.map((a): Attr => {
    if (a.type === 'graph') {
      const s = f(a.value);
      if (s === a.value) return a;
      changed = true;
      return { ...a, value: s };
    }
    if (a.type === 'graphs') {
      const gs = a.value.map(f);
      if (gs.every((g, i) => g === a.value[i])) return a;
      changed = true;
      return { ...a, value: gs };
    }
    return a;
  });
  return changed ? { ...node, attributes } : node;
}
