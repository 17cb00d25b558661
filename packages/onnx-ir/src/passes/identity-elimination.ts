/**
 * Identity elimination: removes `Identity` nodes (default domain) by making consumers read the Identity's input.
 *
 * Graph output names are part of the model's interface and stay. When an Identity's output `y` is a graph output
 * and its input `x` is produced by a node of the same graph (and `x` is not itself a graph output), the producer
 * is renamed to write `y` directly and every reader of `x` reads `y`. Otherwise (x is a graph input, an
 * initializer, an outer-scope value, or also an output) that Identity stays. Subgraphs are processed the same way,
 * their outputs being their interface. Removed values lose their value_info entries.
 */
import { editGraph } from '../editor.js';
import { graphIndex } from '../graph-index.js';
import type { Pass } from '../pass.js';
import { unchanged } from '../pass.js';
import type { Graph, Node } from '../types.js';
import { normalizeDomain } from '../domain.js';
import { mapSubgraphs } from './map-subgraphs.js';

function isPlainIdentity(n: Node): boolean {
  return n.opType === 'Identity' && normalizeDomain(n.domain) === '' && n.inputs.length === 1 && n.outputs.length === 1
    && n.inputs[0] !== null && n.inputs[0] !== '' && n.outputs[0] !== null && n.outputs[0] !== '';
}

/** `g` with removable Identity nodes removed; `g` itself when there are none. */
export function eliminateIdentities(g: Graph): Graph {
  let subChanged = false;
  const nodes = g.nodes.map((n) => {
    const m = mapSubgraphs(n, eliminateIdentities);
    if (m !== n) subChanged = true;
    return m;
  });
  const g1: Graph = subChanged ? { ...g, nodes } : g;
  const idx = graphIndex(g1);

  const alias = new Map<string, string>();
  const resolve = (v: string): string => {
    let r = v;
    for (let a = alias.get(r); a !== undefined; a = alias.get(r)) r = a;
    return r;
  };
  const removed: Node[] = [];
  const renamedOutputs: { node: Node; index: number; name: string }[] = [];
  const renamedProducers = new Set<string>();
  for (const n of g1.nodes) {
    if (!isPlainIdentity(n)) continue;
    const x = resolve(n.inputs[0]!);
    const y = n.outputs[0]!;
    if (!idx.isGraphOutput(y)) {
      alias.set(y, x);
      removed.push(n);
      continue;
    }
    const p = idx.producer(x);
    if (p === undefined || idx.isGraphOutput(x) || alias.has(x) || renamedProducers.has(p.node.id + '\u0000' + p.outputIndex)) continue;
    renamedProducers.add(p.node.id + '\u0000' + p.outputIndex);
    renamedOutputs.push({ node: p.node, index: p.outputIndex, name: y });
    alias.set(x, y);
    removed.push(n);
  }
  if (removed.length === 0) return g1;

  return editGraph(g1, (e) => {
    for (const n of removed) e.removeNode(n);
    for (const r of renamedOutputs) e.setOutput(r.node, r.index, r.name);
    const resolved = new Map<string, string>();
    for (const k of alias.keys()) resolved.set(k, resolve(k));
    e.renameUses(resolved, { graphOutputs: false });
    for (const k of alias.keys()) e.removeValueInfo(k);
  });
}

/** The `identity-elimination` pass over the main graph (model-local functions are left alone). */
export const identityElimination: Pass = Object.freeze<Pass>({
  name: 'identity-elimination',
  run(m) {
    const graph = eliminateIdentities(m.graph);
    return graph === m.graph ? unchanged(m) : { model: { ...m, graph }, modified: true };
  },
});
