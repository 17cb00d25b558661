/**
 * Derived lookups over one immutable Graph: who produces a value, who consumes it, which outer values a subgraph
 * captures. Computed on first use and cached per Graph object in a WeakMap; since graphs never change, the cache
 * can never go stale (an edited graph is a new object with its own entry).
 */
import type { Attr, Graph, Node, NodeId, TensorRef, ValueInfo } from './types.js';

/** Where a value is produced: node and output position. */
export interface Producer {
  readonly node: Node;
  readonly outputIndex: number;
}

/** One use of a value as a node input. */
export interface Use {
  readonly node: Node;
  readonly inputIndex: number;
}

export interface GraphIndex {
  readonly graph: Graph;
  /** The node producing `value` in this graph (not in subgraphs), if any. */
  producer(value: string): Producer | undefined;
  /** Direct uses of `value` as an input of a node of this graph, in node order. */
  consumers(value: string): readonly Use[];
  /** Nodes of this graph whose subgraph attributes read `value` from this scope (implicit inputs). */
  captures(value: string): readonly Node[];
  /** True if `value` is one of this graph's outputs. */
  isGraphOutput(value: string): boolean;
  /** The node with this id, if any. */
  node(id: NodeId): Node | undefined;
  /** Position of a node in `graph.nodes`, or -1. */
  position(id: NodeId): number;
  initializer(name: string): TensorRef | undefined;
  input(name: string): ValueInfo | undefined;
  valueInfo(name: string): ValueInfo | undefined;
  /** Every value this graph defines itself: inputs, initializers (incl. sparse), node outputs. */
  readonly definedValues: ReadonlySet<string>;
  /**
   * Values this graph reads but does not define (recursively through its own subgraphs): for a subgraph, what it
   * captures from the enclosing scopes; for a well-formed main graph, empty.
   */
  readonly outerReferences: ReadonlySet<string>;
  /** Outer values a node reads through its subgraph attributes (union over its subgraphs). */
  nodeCaptures(node: Node): ReadonlySet<string>;
}

/** The subgraphs held by a node's attributes (`graph` and `graphs` attributes), in attribute order. */
export function subgraphsOf(node: Node): Graph[] {
  const out: Graph[] = [];
  for (const a of node.attributes) collectGraphs(a, out);
  return out;
}

function collectGraphs(a: Attr, out: Graph[]): void {
  if (a.type === 'graph') out.push(a.value);
  else if (a.type === 'graphs') out.push(...a.value);
}

/** True if any attribute of the node holds a subgraph. */
export function hasSubgraphs(node: Node): boolean {
  return node.attributes.some((a) => a.type === 'graph' || a.type === 'graphs');
}

const CACHE = new WeakMap<Graph, GraphIndex>();

/** The (cached) index of a graph. O(size of graph) on first call per Graph object, O(1) after. */
export function graphIndex(graph: Graph): GraphIndex {
  let idx = CACHE.get(graph);
  if (idx === undefined) {
    idx = buildIndex(graph);
    CACHE.set(graph, idx);
  }
  return idx;
}

const NO_USES: readonly Use[] = Object.freeze([]);
const NO_NODES: readonly Node[] = Object.freeze([]);
const EMPTY: ReadonlySet<string> = new Set();

function buildIndex(graph: Graph): GraphIndex {
  const producers = new Map<string, Producer>();
  const consumers = new Map<string, Use[]>();
  const captures = new Map<string, Node[]>();
  const nodeCaptures = new Map<Node, ReadonlySet<string>>();
  const byId = new Map<NodeId, Node>();
  const positions = new Map<NodeId, number>();
  const defined = new Set<string>();
  const inits = new Map<string, TensorRef>();
  const inputs = new Map<string, ValueInfo>();
  const vis = new Map<string, ValueInfo>();
  const outputs = new Set<string>(graph.outputs.map((o) => o.name));

  for (const i of graph.inputs) { inputs.set(i.name, i); defined.add(i.name); }
  for (const t of graph.initializers) { if (!inits.has(t.name)) inits.set(t.name, t); defined.add(t.name); }
  for (const s of graph.sparseInitializers) defined.add(s.values.name);
  for (const v of graph.valueInfo) if (!vis.has(v.name)) vis.set(v.name, v);

  const reads = new Set<string>();
  graph.nodes.forEach((node, pos) => {
    if (!byId.has(node.id)) { byId.set(node.id, node); positions.set(node.id, pos); }
    node.inputs.forEach((v, inputIndex) => {
      if (v === null || v === '') return;
      reads.add(v);
      let list = consumers.get(v);
      if (list === undefined) consumers.set(v, (list = []));
      list.push({ node, inputIndex });
    });
    if (hasSubgraphs(node)) {
      const caps = new Set<string>();
      for (const g of subgraphsOf(node)) for (const r of graphIndex(g).outerReferences) caps.add(r);
      nodeCaptures.set(node, caps);
      for (const c of caps) {
        reads.add(c);
        let list = captures.get(c);
        if (list === undefined) captures.set(c, (list = []));
        list.push(node);
      }
    }
    node.outputs.forEach((v, outputIndex) => {
      if (v === null || v === '') return;
      if (!producers.has(v)) producers.set(v, { node, outputIndex });
      defined.add(v);
    });
  });
  for (const o of outputs) reads.add(o);

  const outer = new Set<string>();
  for (const r of reads) if (!defined.has(r)) outer.add(r);

  return {
    graph,
    producer: (v) => producers.get(v),
    consumers: (v) => consumers.get(v) ?? NO_USES,
    captures: (v) => captures.get(v) ?? NO_NODES,
    isGraphOutput: (v) => outputs.has(v),
    node: (id) => byId.get(id),
    position: (id) => positions.get(id) ?? -1,
    initializer: (n) => inits.get(n),
    input: (n) => inputs.get(n),
    valueInfo: (n) => vis.get(n),
    definedValues: defined,
    outerReferences: outer,
    nodeCaptures: (node) => nodeCaptures.get(node) ?? EMPTY,
  };
}
