/**
 * Small structural helpers over one IR graph: the names a subgraph reads from enclosing scopes, and a stable
 * topological order of the nodes (models in the wild are not always sorted).
 */
import type { Attr, Graph, Node } from '@lowbit/onnx-ir';

function subgraphsOf(a: Attr): readonly Graph[] {
  if (a.type === 'graph') return [a.value];
  if (a.type === 'graphs') return a.value;
  return [];
}

/** Subgraphs held by a node's attributes. */
export function nodeSubgraphs(n: Node): Graph[] {
  return n.attributes.flatMap(subgraphsOf);
}

const freeCache = new WeakMap<Graph, ReadonlySet<string>>();

/** Names a graph reads but does not define (its implicit inputs from enclosing scopes), nested subgraphs included. */
export function freeNames(g: Graph): ReadonlySet<string> {
  const hit = freeCache.get(g);
  if (hit) return hit;
  const defined = new Set<string>();
  for (const i of g.inputs) defined.add(i.name);
  for (const t of g.initializers) defined.add(t.name);
  for (const n of g.nodes) for (const o of n.outputs) if (o) defined.add(o);
  const free = new Set<string>();
  for (const n of g.nodes) {
    for (const i of n.inputs) if (i && !defined.has(i)) free.add(i);
    for (const sg of nodeSubgraphs(n)) for (const name of freeNames(sg)) if (!defined.has(name)) free.add(name);
  }
  for (const o of g.outputs) if (!defined.has(o.name)) free.add(o.name);
  freeCache.set(g, free);
  return free;
}

/** Every name a node reads: its inputs and the free names of its subgraphs. */
export function nodeReads(n: Node): string[] {
  const reads = n.inputs.filter((x): x is string => !!x);
  for (const sg of nodeSubgraphs(n)) reads.push(...freeNames(sg));
  return reads;
}

/**
 * Nodes in a topological order, keeping the given order wherever it is already valid (Kahn's algorithm, always
 * taking the earliest ready node). Names not produced by any node are treated as available. Returns undefined when
 * the nodes form a cycle.
 */
export function stableTopoOrder(nodes: readonly Node[]): Node[] | undefined {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => n.outputs.forEach((o) => { if (o) producer.set(o, i); }));
  const deps = nodes.map((n) => new Set(nodeReads(n).map((r) => producer.get(r)).filter((p): p is number => p !== undefined)));
  const users: number[][] = nodes.map(() => []);
  deps.forEach((ds, i) => ds.forEach((d) => users[d].push(i)));
  const pending = deps.map((d) => d.size);
  // A min-heap would be O(n log n); models have at most a few thousand nodes, and the common case (already sorted)
  // takes the fast path below.
  if (deps.every((ds, i) => [...ds].every((d) => d < i))) return [...nodes];
  const ready: number[] = [];
  pending.forEach((p, i) => { if (p === 0) ready.push(i); });
  const order: Node[] = [];
  while (ready.length > 0) {
    ready.sort((a, b) => a - b);
    const i = ready.shift()!;
    order.push(nodes[i]);
    for (const u of users[i]) if (--pending[u] === 0) ready.push(u);
  }
  return order.length === nodes.length ? order : undefined;
}
