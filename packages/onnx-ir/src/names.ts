/**
 * Fresh names for values and nodes, and fresh node ids.
 *
 * A NameAllocator is seeded with every name in a graph (values, node names, in all nested subgraphs) and then hands
 * out names that are in none of them and that it has not handed out before: `prefix`, then `prefix_1`, `prefix_2`, ...
 * It is an ordinary object owned by whoever edits the graph (the editor makes one per edit); there is no global
 * registry.
 */
import { subgraphsOf } from './graph-index.js';
import type { Graph, Node } from './types.js';

export class NameAllocator {
  readonly #used = new Set<string>();
  readonly #next = new Map<string, number>();

  /** An allocator that will never return a name in `taken`. */
  constructor(taken: Iterable<string> = []) {
    for (const n of taken) this.#used.add(n);
  }

  /** An allocator that avoids every name used anywhere in `graph`, its subgraphs and `extra`. */
  static forGraph(graph: Graph, extra: Iterable<string> = []): NameAllocator {
    const a = new NameAllocator(extra);
    collectNames(graph, a.#used);
    return a;
  }

  /** True when `name` is taken (present in the seed or allocated/reserved since). */
  has(name: string): boolean {
    return this.#used.has(name);
  }

  /** Marks `name` as taken; later `fresh` calls never return it. */
  reserve(name: string): void {
    this.#used.add(name);
  }

  /**
   * A name starting with `prefix` that is not taken, and marks it taken. `prefix` itself if free, else
   * `prefix_1`, `prefix_2`, ... (the counter per prefix only moves forward, so allocation is O(1) amortized).
   */
  fresh(prefix: string): string {
    const base = prefix === '' ? 'v' : prefix;
    if (!this.#used.has(base)) {
      this.#used.add(base);
      return base;
    }
    let k = this.#next.get(base) ?? 1;
    let name = `${base}_${k}`;
    while (this.#used.has(name)) name = `${base}_${++k}`;
    this.#next.set(base, k + 1);
    this.#used.add(name);
    return name;
  }
}

/** Adds every value name and node name of `graph` and its nested subgraphs to `into`. */
export function collectNames(graph: Graph, into: Set<string>): Set<string> {
  for (const v of graph.inputs) into.add(v.name);
  for (const v of graph.outputs) into.add(v.name);
  for (const v of graph.valueInfo) into.add(v.name);
  for (const t of graph.initializers) into.add(t.name);
  for (const s of graph.sparseInitializers) into.add(s.values.name);
  for (const n of graph.nodes) collectNodeNames(n, into);
  return into;
}

function collectNodeNames(n: Node, into: Set<string>): void {
  if (n.name !== '') into.add(n.name);
  for (const v of n.inputs) if (v !== null && v !== '') into.add(v);
  for (const v of n.outputs) if (v !== null && v !== '') into.add(v);
  for (const g of subgraphsOf(n)) collectNames(g, into);
}

/** Node ids of the editor's own making: `n<k>`. Other id shapes (from a decoder) are kept as they are. */
const ID_PATTERN = /^n(\d+)$/;

/**
 * The smallest k such that no id `n<j>` with j >= k has ever been used in `graph`: the larger of the graph's
 * `nextNodeId` watermark and one past the largest `n<j>` id present.
 */
export function nextNodeIdOf(graph: Graph): number {
  let k = graph.nextNodeId ?? 0;
  for (const n of graph.nodes) {
    const m = ID_PATTERN.exec(n.id);
    if (m !== null) k = Math.max(k, Number(m[1]) + 1);
  }
  return k;
}
