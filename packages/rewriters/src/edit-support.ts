/**
 * What the rewriters need on top of onnx-ir's editor (`editGraph`, `graphIndex`), which has no initializer
 * lookup and no end-of-pass clean-up with these exact semantics:
 *
 * - `Constants`: the initializers a pass may read as constants while it edits: the graph's own (unless a graph input
 *   of the same name overrides them, as ONNX allows) plus the ones it added since (so constant folding can fold
 *   chains, and conv-bias fusion can fuse a second Add onto a bias it just made).
 * - `readersOf`: the nodes reading a value, from the cached index: each node once (graphIndex lists one use per input
 *   slot), subgraph captures included.
 * - `tidyGraph`: after an edit, drops value_info entries of values no node produces any more and (optionally)
 *   initializers nothing reads, together with their graph-input entries (old-IR models list initializers as inputs).
 *   onnx-ir's dead-code elimination keeps initializers that are graph inputs, so it cannot do the second part.
 */
import { editGraph, graphIndex } from '@lowbit/onnx-ir';
import type { Graph, GraphEditor, Node, TensorRef } from '@lowbit/onnx-ir';

export class Constants {
  readonly #added = new Map<string, TensorRef>();

  /** `outer`: initializers of enclosing scopes a control-flow body may read by name (default none). */
  constructor(readonly graph: Graph, readonly outer: ReadonlyMap<string, TensorRef> = new Map()) {}

  /**
   * The constant value named `name`, or undefined (not an initializer, or overridable by a graph input). A name the
   * graph neither defines nor takes as input is looked up in `outer`.
   */
  get(name: string | null | undefined): TensorRef | undefined {
    if (!name) return undefined;
    const idx = graphIndex(this.graph);
    if (idx.input(name)) return undefined;
    const t = this.#added.get(name) ?? idx.initializer(name);
    if (t) return t;
    return idx.producer(name) ? undefined : this.outer.get(name);
  }

  /** The initializers visible inside a body of this graph: `outer`, then this graph's own (its inputs shadow). */
  visibleToBodies(): ReadonlyMap<string, TensorRef> {
    const v = new Map(this.outer);
    for (const t of this.graph.initializers) v.set(t.name, t);
    for (const i of this.graph.inputs) v.delete(i.name);
    for (const n of this.graph.nodes) for (const o of n.outputs) if (o) v.delete(o);
    return v;
  }

  /** Adds `t` as an initializer through the editor and remembers it; returns its name. */
  add(e: GraphEditor, t: TensorRef): string {
    e.addInitializer(t);
    this.#added.set(t.name, t);
    return t.name;
  }
}

export interface TidyOptions {
  /** Also remove initializers (and their graph-input entries) that no node, subgraph or graph output reads. */
  readonly pruneInitializers?: boolean;
}

/**
 * `edited` cleaned up as described in the file comment; `edited` itself when it is `original` (an edit that changed
 * nothing stays the same object) or when nothing needs removing.
 */
export function tidyGraph(original: Graph, edited: Graph, options: TidyOptions = {}): Graph {
  if (edited === original) return edited;
  const idx = graphIndex(edited);
  return editGraph(edited, (e) => {
    for (const v of edited.valueInfo) if (!idx.producer(v.name)) e.removeValueInfo(v.name);
    if (!options.pruneInitializers) return;
    for (const t of edited.initializers) {
      if (idx.consumers(t.name).length > 0 || idx.captures(t.name).length > 0 || idx.isGraphOutput(t.name)) continue;
      e.removeInitializer(t.name);
      if (idx.input(t.name)) e.removeInput(t.name);
    }
  });
}

/** The nodes of `graph` reading `value` directly or through a subgraph capture, each once, in graph order. */
export function readersOf(graph: Graph, value: string): Node[] {
  const idx = graphIndex(graph);
  const nodes = new Set<Node>();
  for (const u of idx.consumers(value)) nodes.add(u.node);
  const caps = idx.captures(value);
  for (const n of caps) nodes.add(n);
  const out = [...nodes];
  if (caps.length > 0) out.sort((a, b) => idx.position(a.id) - idx.position(b.id));
  return out;
}
