/**
 * Renaming value uses inside subgraphs that capture them from an enclosing scope. A name a subgraph defines itself
 * (input, initializer, node output) shadows the outer one, so renaming stops there.
 */
import { graphIndex, hasSubgraphs } from './graph-index.js';
import type { Attr, Graph, Node } from './types.js';

/**
 * `g` with every read of an outer-scope value `k` (node inputs, graph outputs, nested subgraphs) replaced by
 * `map.get(k)`. Returns `g` itself when it captures none of the keys; unchanged nodes are shared.
 */
export function renameOuterReferences(g: Graph, map: ReadonlyMap<string, string>): Graph {
  const outer = graphIndex(g).outerReferences;
  let local: Map<string, string> | undefined;
  for (const [k, v] of map) {
    if (outer.has(k)) (local ??= new Map()).set(k, v);
  }
  if (local === undefined) return g;
  const m = local;
  const nodes = g.nodes.map((n) => renameNodeReads(n, m));
  const outputs = g.outputs.map((o) => (m.has(o.name) ? { ...o, name: m.get(o.name)! } : o));
  return { ...g, nodes, outputs };
}

/** `n` with its inputs and its subgraphs' captured reads renamed by `map`; `n` itself if nothing changes. */
export function renameNodeReads(n: Node, map: ReadonlyMap<string, string>): Node {
  let inputs = n.inputs;
  if (n.inputs.some((v) => v !== null && map.has(v))) inputs = n.inputs.map((v) => (v !== null && map.has(v) ? map.get(v)! : v));
  let attributes = n.attributes;
  if (hasSubgraphs(n)) {
    let changed = false;
    const next = n.attributes.map((a): Attr => {
      if (a.type === 'graph') {
        const s = renameOuterReferences(a.value, map);
        if (s === a.value) return a;
        changed = true;
        return { ...a, value: s };
      }
      if (a.type === 'graphs') {
        const gs = a.value.map((g) => renameOuterReferences(g, map));
        if (gs.every((g, i) => g === a.value[i])) return a;
        changed = true;
        return { ...a, value: gs };
      }
      return a;
    });
    if (changed) attributes = next;
  }
  if (inputs === n.inputs && attributes === n.attributes) return n;
  return { ...n, inputs, attributes };
}
