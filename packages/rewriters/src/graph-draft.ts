/**
 * A private mutable working copy of a Graph used inside one pass run. Passes edit the draft and `build()` returns a
 * new immutable Graph (unchanged nodes and tensors are the same objects). Nodes may be appended in any order; build()
 * restores topological order with a stable sort (original order wins among ready nodes).
 */
import type { Graph, Node, TensorRef, ValueInfo } from '@lowbit/onnx-ir';
import { invariant, mapSubgraphs } from '@lowbit/onnx-ir';

export interface NodeSpec {
  readonly opType: string;
  readonly inputs: readonly (string | null)[];
  readonly outputs: readonly string[];
  readonly attributes?: Node['attributes'];
  readonly domain?: string;
  /** Base for the node name (made unique). */
  readonly name?: string;
}

export class GraphDraft {
  readonly original: Graph;
  nodes: Node[];
  readonly inits: Map<string, TensorRef>;
  valueInfo: ValueInfo[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  private readonly used = new Set<string>();
  private readonly usedIds = new Set<string>();
  changed = false;

  /** `reserved`: names of enclosing scopes (a subgraph must not reuse them). */
  constructor(graph: Graph, reserved: Iterable<string> = []) {
    this.original = graph;
    for (const r of reserved) this.used.add(r);
    this.nodes = [...graph.nodes];
    this.inits = new Map(graph.initializers.map((t) => [t.name, t]));
    this.valueInfo = [...graph.valueInfo];
    this.inputs = [...graph.inputs];
    this.outputs = [...graph.outputs];
    for (const v of graph.inputs) this.used.add(v.name);
    for (const v of graph.outputs) this.used.add(v.name);
    for (const t of graph.initializers) this.used.add(t.name);
    for (const v of graph.valueInfo) this.used.add(v.name);
    for (const n of graph.nodes) {
      this.used.add(n.name);
      this.usedIds.add(n.id);
      for (const o of n.outputs) if (o) this.used.add(o);
      for (const i of n.inputs) if (i) this.used.add(i);
    }
  }

  /** A fresh value/node name starting with `base`, never used in this graph before. */
  fresh(base: string): string {
    let name = base;
    for (let k = 1; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }

  private freshId(base: string): string {
    let id = base;
    for (let k = 1; this.usedIds.has(id); k++) id = `${base}#${k}`;
    this.usedIds.add(id);
    return id;
  }

  /** Every name this draft (and its enclosing scopes) has used so far. */
  usedNames(): ReadonlySet<string> {
    return this.used;
  }

  /**
   * Applies `f` to every subgraph of every node (If/Loop/Scan bodies), giving it the names used so far as reserved.
   */
  mapSubgraphs(f: (g: Graph, reserved: ReadonlySet<string>) => Graph): void {
    for (const n of [...this.nodes]) {
      if (!n.attributes.some((a) => a.type === 'graph' || a.type === 'graphs')) continue;
      const next = mapSubgraphs(n, (g) => f(g, this.used));
      if (next !== n) this.replaceNode(n, next);
    }
  }

  /** Names that are graph inputs. */
  isGraphInput(name: string): boolean {
    return this.inputs.some((v) => v.name === name);
  }

  isGraphOutput(name: string): boolean {
    return this.outputs.some((v) => v.name === name);
  }

  /** An initializer that is not overridable by a graph input of the same name. */
  constant(name: string | null | undefined): TensorRef | undefined {
    if (!name) return undefined;
    const t = this.inits.get(name);
    if (!t || this.isGraphInput(name)) return undefined;
    return t;
  }

  producer(name: string): Node | undefined {
    return this.nodes.find((n) => n.outputs.includes(name));
  }

  consumers(name: string): Node[] {
    return this.nodes.filter((n) => n.inputs.includes(name) || subgraphUses(n, name));
  }

  /** Append a node built from `spec` (ordering is fixed by build()). Returns the node. */
  addNode(spec: NodeSpec): Node {
    const name = this.fresh(spec.name ?? spec.outputs[0] ?? spec.opType);
    const node: Node = {
      id: this.freshId(name), name, opType: spec.opType, domain: spec.domain ?? '',
      inputs: [...spec.inputs], outputs: [...spec.outputs], attributes: spec.attributes ?? [],
    };
    this.nodes.push(node);
    this.changed = true;
    return node;
  }

  replaceNode(old: Node, next: Node): void {
    const i = this.nodes.indexOf(old);
    invariant(i >= 0, `replaceNode: ${old.name} not in draft`);
    this.nodes[i] = next;
    this.changed = true;
  }

  removeNode(node: Node): void {
    const i = this.nodes.indexOf(node);
    invariant(i >= 0, `removeNode: ${node.name} not in draft`);
    this.nodes.splice(i, 1);
    this.changed = true;
  }

  /** Set input `index` of `node` (looked up by id) to `value`; returns the updated node. */
  setInput(node: Node, index: number, value: string | null): Node {
    const cur = this.nodes.find((n) => n.id === node.id);
    invariant(cur, `setInput: node ${node.name} not in draft`);
    const inputs = [...cur.inputs];
    while (inputs.length <= index) inputs.push(null);
    inputs[index] = value;
    const next = { ...cur, inputs };
    this.replaceNode(cur, next);
    return next;
  }

  addInit(t: TensorRef): string {
    invariant(!this.inits.has(t.name) || this.inits.get(t.name) === t, `addInit: duplicate ${t.name}`);
    this.inits.set(t.name, t);
    this.used.add(t.name);
    this.changed = true;
    return t.name;
  }

  removeInit(name: string): void {
    if (this.inits.delete(name)) this.changed = true;
  }

  /** Drop initializers no node or graph output reads any more (and their graph-input entries). */
  pruneInits(): void {
    const read = new Set<string>();
    for (const n of this.nodes) {
      for (const i of n.inputs) if (i) read.add(i);
      collectSubgraphInputs(n, read);
    }
    for (const o of this.outputs) read.add(o.name);
    for (const name of [...this.inits.keys()]) {
      if (!read.has(name)) {
        this.inits.delete(name);
        this.inputs = this.inputs.filter((v) => v.name !== name);
        this.changed = true;
      }
    }
  }

  /** Remove nodes whose outputs nobody reads (iteratively). */
  removeDeadNodes(): void {
    for (;;) {
      const read = new Set<string>(this.outputs.map((o) => o.name));
      for (const n of this.nodes) {
        for (const i of n.inputs) if (i) read.add(i);
        collectSubgraphInputs(n, read);
      }
      const before = this.nodes.length;
      this.nodes = this.nodes.filter((n) => n.outputs.some((o) => o && read.has(o)));
      if (this.nodes.length === before) return;
      this.changed = true;
    }
  }

  /** A new Graph, or the original when nothing changed. */
  build(): Graph {
    if (!this.changed) return this.original;
    const origInit = new Map(this.original.initializers.map((t, i) => [t.name, i]));
    const inits = [...this.inits.values()].sort((a, b) => (origInit.get(a.name) ?? 1e9) - (origInit.get(b.name) ?? 1e9));
    const produced = new Set<string>();
    for (const n of this.nodes) for (const o of n.outputs) if (o) produced.add(o);
    const valueInfo = this.valueInfo.filter((v) => produced.has(v.name));
    return {
      ...this.original,
      inputs: this.inputs,
      outputs: this.outputs,
      initializers: inits,
      nodes: stableTopoSort(this.nodes),
      valueInfo,
    };
  }
}

function subgraphUses(n: Node, name: string): boolean {
  const s = new Set<string>();
  collectSubgraphInputs(n, s);
  return s.has(name);
}

/** Names read inside a node's subgraph attributes (If/Loop/Scan bodies read outer values implicitly). */
function collectSubgraphInputs(n: Node, out: Set<string>): void {
  for (const a of n.attributes) {
    const gs = a.type === 'graph' ? [a.value] : a.type === 'graphs' ? a.value : [];
    for (const g of gs) for (const m of g.nodes) {
      for (const i of m.inputs) if (i) out.add(i);
      collectSubgraphInputs(m, out);
    }
  }
}

/** Kahn's algorithm; among ready nodes the one earliest in `nodes` goes first. */
export function stableTopoSort(nodes: readonly Node[]): Node[] {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => n.outputs.forEach((o) => o && producer.set(o, i)));
  const deps: number[][] = nodes.map(() => []);
  const indeg = nodes.map(() => 0);
  nodes.forEach((n, i) => {
    const seen = new Set<number>();
    const names = new Set<string>();
    for (const x of n.inputs) if (x) names.add(x);
    collectSubgraphInputs(n, names);
    for (const x of names) {
      const p = producer.get(x);
      if (p !== undefined && p !== i && !seen.has(p)) { seen.add(p); deps[p].push(i); indeg[i]++; }
    }
  });
  // Min-heap on index keeps the original order among ready nodes.
  const ready: number[] = [];
  const push = (v: number): void => { ready.push(v); let k = ready.length - 1; while (k > 0) { const p = (k - 1) >> 1; if (ready[p] <= ready[k]) break; [ready[p], ready[k]] = [ready[k], ready[p]]; k = p; } };
  const pop = (): number => { const top = ready[0]; const last = ready.pop()!; if (ready.length) { ready[0] = last; let k = 0; for (;;) { const l = 2 * k + 1, r = l + 1; let m = k; if (l < ready.length && ready[l] < ready[m]) m = l; if (r < ready.length && ready[r] < ready[m]) m = r; if (m === k) break; [ready[m], ready[k]] = [ready[k], ready[m]]; k = m; } } return top; };
  indeg.forEach((d, i) => d === 0 && push(i));
  const out: Node[] = [];
  while (ready.length) {
    const i = pop();
    out.push(nodes[i]);
    for (const j of deps[i]) if (--indeg[j] === 0) push(j);
  }
  invariant(out.length === nodes.length, 'stableTopoSort: graph has a cycle');
  return out;
}
