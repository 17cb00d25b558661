/** The `topological-sort` pass: stable topological order for the main graph and every subgraph (see topo.ts). */
import type { Pass } from '../pass.js';
import { unchanged } from '../pass.js';
import { topologicalSort } from '../topo.js';

export const topologicalSortPass: Pass = Object.freeze<Pass>({
  name: 'topological-sort',
  run(m) {
    const graph = topologicalSort(m.graph);
    return graph === m.graph ? unchanged(m) : { model: { ...m, graph }, modified: true };
  },
});
