/**
 * Dead-code elimination: removes nodes none of whose outputs reach a graph output, then initializers, sparse
 * initializers and value_info entries nothing refers to any more. Subgraphs (If/Loop/Scan bodies) are cleaned the
 * same way with their own outputs as roots, and a node stays live if its subgraphs capture a value it needs.
 * Graph inputs are never removed (they are the model's interface), and an initializer that is also a graph input
 * stays. Nodes are treated as pure (ONNX operators have no side effects), so a node with no used output goes.
 */
import { graphIndex, subgraphsOf } from '../graph-index.js';
import { nextNodeIdOf } from '../names.js';
import type { Pass } from '../pass.js';
import { unchanged } from '../pass.js';
import type { Graph, Node, NodeId } from '../types.js';
import { mapSubgraphs } from './map-subgraphs.js';

/** `g` without dead code; `g` itself when nothing is dead. */
export function eliminateDeadCode(g: Graph): Graph {
  const idx = graphIndex(g);
  const live = new Set<string>();
  const liveNodes = new Map<NodeId, Node>();
  const work: string[] = [];
  const need = (v: string | null): void => {
    if (v === null || v === '' || live.has(v)) return;
    live.add(v);
    work.push(v);
  };
  for (const o of g.outputs) need(o.name);
  while (work.length > 0) {
    const p = idx.producer(work.pop()!);
    if (p === undefined || liveNodes.has(p.node.id)) continue;
    const n = mapSubgraphs(p.node, eliminateDeadCode);
    liveNodes.set(n.id, n);
    for (const v of n.inputs) need(v);
    for (const sg of subgraphsOf(n)) for (const c of graphIndex(sg).outerReferences) need(c);
  }

  let changed = liveNodes.size !== g.nodes.length;
  const nodes: Node[] = [];
  for (const n of g.nodes) {
    const k = liveNodes.get(n.id);
    if (k === undefined) continue;
    if (k !== n) changed = true;
    nodes.push(k);
  }
  const inputNames = new Set(g.inputs.map((i) => i.name));
  const initializers = g.initializers.filter((t) => live.has(t.name) || inputNames.has(t.name));
  const sparseInitializers = g.sparseInitializers.filter((s) => live.has(s.values.name) || inputNames.has(s.values.name));
  const defined = new Set<string>(inputNames);
  for (const t of initializers) defined.add(t.name);
  for (const n of nodes) for (const o of n.outputs) if (o !== null) defined.add(o);
  const valueInfo = g.valueInfo.filter((v) => defined.has(v.name) || live.has(v.name));
  changed ||= initializers.length !== g.initializers.length || sparseInitializers.length !== g.sparseInitializers.length
    || valueInfo.length !== g.valueInfo.length;
  if (!changed) return g;
  return { ...g, nodes, initializers, sparseInitializers, valueInfo, nextNodeId: nextNodeIdOf(g) };
}

/** The `dead-code-elimination` pass over the main graph (model-local functions are left alone). */
export const deadCodeElimination: Pass = Object.freeze<Pass>({
  name: 'dead-code-elimination',
  run(m) {
    const graph = eliminateDeadCode(m.graph);
    return graph === m.graph ? unchanged(m) : { model: { ...m, graph }, modified: true };
  },
});
