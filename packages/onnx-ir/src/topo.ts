/**
 * Stable topological sort of a graph's nodes.
 *
 * A node depends on the producers of its inputs and of every outer value its subgraphs capture (implicit inputs of
 * If/Loop/Scan). Among the nodes that are ready, the one earliest in the current order goes first (Kahn's algorithm
 * with a min-heap on position), so an already sorted list comes back unchanged and a nearly sorted one moves as
 * little as possible. A cycle is a PreconditionError naming the nodes on it.
 */
import { PreconditionError } from './errors-pass.js';
import { graphIndex, hasSubgraphs } from './graph-index.js';
import type { Attr, Graph, Node } from './types.js';

/** Display name of a node in messages: its name, or `#id` when unnamed. */
export function nodeLabel(n: Node): string {
  return n.name !== '' ? n.name : `#${n.id}`;
}

/** Values each node reads: inputs plus values captured by its subgraphs. */
function readsOf(n: Node, g: Graph): Iterable<string> {
  const direct = n.inputs.filter((v): v is string => v !== null && v !== '');
  if (!hasSubgraphs(n)) return direct;
  return [...direct, ...graphIndex(g).nodeCaptures(n)];
}

/** True when every node comes after the producers of everything it reads (within this list). */
export function isTopologicallySorted(graph: Graph): boolean {
  return firstOutOfOrder(graph) === -1;
}

/** Position of the first node that reads a value produced later in the list, or -1. */
export function firstOutOfOrder(graph: Graph): number {
  const pos = new Map<string, number>();
  graph.nodes.forEach((n, i) => {
    for (const o of n.outputs) if (o !== null && o !== '' && !pos.has(o)) pos.set(o, i);
  });
  for (let i = 0; i < graph.nodes.length; i++) {
    for (const v of readsOf(graph.nodes[i], graph)) {
      const p = pos.get(v);
      if (p !== undefined && p >= i) return i;
    }
  }
  return -1;
}

/**
 * The graph's nodes in a stable topological order (see file comment). Throws PreconditionError on a cycle.
 * Only this graph's node list is ordered; subgraphs are left as they are (see `topologicalSort`).
 */
export function topologicalOrder(graph: Graph): Node[] {
  const nodes = graph.nodes;
  const n = nodes.length;
  const producerPos = new Map<string, number>();
  nodes.forEach((node, i) => {
    for (const o of node.outputs) if (o !== null && o !== '' && !producerPos.has(o)) producerPos.set(o, i);
  });
  const deps: number[][] = nodes.map((node) => {
    const d = new Set<number>();
    for (const v of readsOf(node, graph)) {
      const p = producerPos.get(v);
      if (p !== undefined) d.add(p);
    }
    return [...d];
  });
  const indeg = new Int32Array(n);
  const dependents: number[][] = nodes.map(() => []);
  deps.forEach((ds, i) => {
    for (const p of ds) { indeg[i]++; dependents[p].push(i); }
  });
  const heap = new MinHeap();
  for (let i = 0; i < n; i++) if (indeg[i] === 0) heap.push(i);
  const order: Node[] = [];
  const done = new Uint8Array(n);
  while (heap.size > 0) {
    const i = heap.pop();
    done[i] = 1;
    order.push(nodes[i]);
    for (const j of dependents[i]) if (--indeg[j] === 0) heap.push(j);
  }
  if (order.length !== n) {
    const cycle = findCycle(deps, done);
    const names = cycle.map((i) => nodeLabel(nodes[i]));
    throw new PreconditionError(
      `graph "${graph.name}" has a cycle: ${names.join(' -> ')} -> ${names[0]} (${n - order.length} node(s) cannot be ordered)`,
      { where: 'topological-sort', nodes: names },
    );
  }
  return order;
}

/** Walks dependencies among unfinished nodes (each has one, else it would have been ordered) until one repeats. */
function findCycle(deps: number[][], done: Uint8Array): number[] {
  let i = done.indexOf(0);
  const seenAt = new Map<number, number>();
  const path: number[] = [];
  while (!seenAt.has(i)) {
    seenAt.set(i, path.length);
    path.push(i);
    i = deps[i].find((d) => done[d] === 0)!;
  }
  // path[seenAt(i)..] is the cycle, listed consumer -> producer; report it in data-flow order, starting from the
  // node earliest in the list so the message does not depend on where the walk began.
  const cycle = path.slice(seenAt.get(i)).reverse();
  const start = cycle.indexOf(Math.min(...cycle));
  return [...cycle.slice(start), ...cycle.slice(0, start)];
}

/**
 * The graph with its nodes, and the nodes of every nested subgraph, in stable topological order. Returns the same
 * Graph object when nothing moved (and shares every unchanged subgraph and node).
 */
export function topologicalSort(graph: Graph): Graph {
  let changed = false;
  const nodes = graph.nodes.map((node) => {
    const s = sortSubgraphsOf(node);
    if (s !== node) changed = true;
    return s;
  });
  const g0: Graph = changed ? { ...graph, nodes } : graph;
  if (isTopologicallySorted(g0)) return g0;
  return { ...g0, nodes: topologicalOrder(g0) };
}

function sortSubgraphsOf(node: Node): Node {
  if (!hasSubgraphs(node)) return node;
  let changed = false;
  const attributes = node.attributes.map((a): Attr => {
    if (a.type === 'graph') {
      const s = topologicalSort(a.value);
      if (s === a.value) return a;
      changed = true;
      return { ...a, value: s };
    }
    if (a.type === 'graphs') {
      const gs = a.value.map(topologicalSort);
      if (gs.every((g, i) => g === a.value[i])) return a;
      changed = true;
      return { ...a, value: gs };
    }
    return a;
  });
  return changed ? { ...node, attributes } : node;
}

class MinHeap {
  readonly #a: number[] = [];
  get size(): number { return this.#a.length; }
  push(x: number): void {
    const a = this.#a;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p] <= a[i]) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }
  pop(): number {
    const a = this.#a;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < a.length && a[l] < a[m]) m = l;
        if (r < a.length && a[r] < a[m]) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}
