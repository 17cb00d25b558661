import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { arbGraph, mkGraph, mkNode, vi } from '@lowbit/testing';
import { PreconditionError } from './errors-pass.js';
import { isTopologicallySorted, topologicalOrder, topologicalSort } from './topo.js';
import type { Graph } from './types.js';

describe('topologicalSort', () => {
  it('returns the same object for a sorted graph', () => {
    const g = mkGraph({ inputs: ['x'], outputs: ['b'], nodes: [mkNode('Relu', ['x'], ['a']), mkNode('Neg', ['a'], ['b'])] });
    expect(topologicalSort(g)).toBe(g);
  });

  it('moves only what must move, keeping independent nodes in their original order', () => {
    // c depends on a (produced last); p and q are independent and must stay in order.
    const g = mkGraph({ inputs: ['x'], outputs: ['c', 'p', 'q'], nodes: [
      mkNode('Neg', ['a'], ['c'], { id: 'c' }), mkNode('Abs', ['x'], ['p'], { id: 'p' }),
      mkNode('Abs', ['x'], ['q'], { id: 'q' }), mkNode('Relu', ['x'], ['a'], { id: 'a' })] });
    // By hand: ready set initially {p, q, a} (c waits on a); smallest position first: p, q, a, then c.
    expect(topologicalSort(g).nodes.map((n) => n.id)).toEqual(['p', 'q', 'a', 'c']);
  });

  it('orders by captured values of subgraphs (implicit inputs of If)', () => {
    const branch = mkGraph({ name: 'b', outputs: ['t'], nodes: [mkNode('Abs', ['a'], ['t'])], idPrefix: 't' });
    const g = mkGraph({ inputs: ['x', vi('cond', 9, [])], outputs: ['c'], nodes: [
      mkNode('If', ['cond'], ['c'], { id: 'if', attributes: [{ name: 'then_branch', type: 'graph', value: branch }, { name: 'else_branch', type: 'graph', value: branch }] }),
      mkNode('Relu', ['x'], ['a'], { id: 'relu' })] });
    expect(isTopologicallySorted(g)).toBe(false);
    expect(topologicalSort(g).nodes.map((n) => n.id)).toEqual(['relu', 'if']);
  });

  it('sorts inside subgraphs too, sharing sorted ones', () => {
    const unsorted = mkGraph({ name: 'b', outputs: ['t1'], nodes: [mkNode('Neg', ['t0'], ['t1'], { id: 'u1' }), mkNode('Abs', ['x'], ['t0'], { id: 'u0' })] });
    const sorted = mkGraph({ name: 'e', outputs: ['e0'], nodes: [mkNode('Abs', ['x'], ['e0'])], idPrefix: 'e' });
    const g = mkGraph({ inputs: ['x', vi('cond', 9, [])], outputs: ['c'], nodes: [
      mkNode('If', ['cond'], ['c'], { attributes: [{ name: 'then_branch', type: 'graph', value: unsorted }, { name: 'else_branch', type: 'graph', value: sorted }] })] });
    const s = topologicalSort(g);
    const attrs = s.nodes[0].attributes;
    expect(attrs[0].type === 'graph' && attrs[0].value.nodes.map((n) => n.id)).toEqual(['u0', 'u1']);
    expect(attrs[1]).toBe(g.nodes[0].attributes[1]);
  });

  it('a cycle is a PreconditionError naming the nodes on it, in data-flow order', () => {
    const g = mkGraph({ inputs: ['x'], outputs: ['c'], nodes: [
      mkNode('Relu', ['x'], ['pre'], { name: 'pre' }),
      mkNode('Add', ['pre', 'c'], ['a'], { name: 'A' }), mkNode('Neg', ['a'], ['b'], { name: 'B' }), mkNode('Abs', ['b'], ['c'], { name: 'C' })] });
    let err: unknown;
    try { topologicalOrder(g); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(PreconditionError);
    expect((err as PreconditionError).context.nodes).toEqual(['A', 'B', 'C']);
    expect((err as Error).message).toBe('graph "main" has a cycle: A -> B -> C -> A (3 node(s) cannot be ordered)');
  });

  it('property: any permutation of a valid graph sorts back to a valid order; a sorted graph is a fixpoint', () => {
    fc.assert(fc.property(arbGraph({ withSubgraphs: true }), fc.infiniteStream(fc.nat()).map((s) => s), (g, seeds) => {
      const perm = [...g.nodes];
      for (let i = perm.length - 1; i > 0; i--) { const j = seeds.next().value % (i + 1); [perm[i], perm[j]] = [perm[j], perm[i]]; }
      const shuffled: Graph = { ...g, nodes: perm };
      const s = topologicalSort(shuffled);
      expect(isTopologicallySorted(s)).toBe(true);
      expect(new Set(s.nodes)).toEqual(new Set(perm)); // same node objects, nothing lost or copied
      expect(topologicalSort(s)).toBe(s);
      expect(topologicalSort(g)).toBe(g); // drawn graphs are built in order
    }), { numRuns: 200 });
  });
});
