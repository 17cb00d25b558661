import { describe, expect, it } from 'vitest';
import { floatTensor, mkGraph, mkModel, mkNode, vi } from '@lowbit/testing';
import { createPassContext } from '../pass.js';
import type { Graph, Model } from '../types.js';
import { verifyModel } from '../verify.js';
import { deadCodeElimination } from './dead-code-elimination.js';

const ctx = createPassContext({ verify: true });
const run = async (m: Model) => deadCodeElimination.run(m, ctx);

// live: x -> Add(w) -> a -> Relu -> y ; dead: Neg(a) -> d1 -> Abs -> d2, unused initializer u, value_info for d1.
function withDeadCode(): Model {
  return mkModel(mkGraph({
    inputs: ['x', 'unused_in'], outputs: ['y'],
    initializers: [floatTensor('w', [4], [1, 2, 3, 4]), floatTensor('u', [4], [0, 0, 0, 0])],
    valueInfo: [vi('a'), vi('d1')],
    nodes: [mkNode('Add', ['x', 'w'], ['a']), mkNode('Neg', ['a'], ['d1']), mkNode('Relu', ['a'], ['y']), mkNode('Abs', ['d1'], ['d2'])],
  }));
}

describe('dead-code-elimination', () => {
  it('applies: removes dead nodes, unused initializers and stale value_info, keeps graph inputs', async () => {
    const m = withDeadCode();
    const r = await run(m);
    expect(r.modified).toBe(true);
    const g = r.model.graph;
    expect(g.nodes.map((n) => n.id)).toEqual(['n0', 'n2']);
    expect(g.nodes[0]).toBe(m.graph.nodes[0]); // survivors are shared
    expect(g.initializers.map((t) => t.name)).toEqual(['w']);
    expect(g.valueInfo.map((v) => v.name)).toEqual(['a']);
    expect(g.inputs.map((v) => v.name)).toEqual(['x', 'unused_in']);
    expect(verifyModel(r.model)).toEqual([]);
    expect(m.graph.nodes.length).toBe(4); // input model untouched
  });

  it('does not apply: a graph without dead code comes back as the same object', async () => {
    const m = mkModel(mkGraph({ inputs: ['x'], outputs: ['y'], nodes: [mkNode('Relu', ['x'], ['y'])] }));
    const r = await run(m);
    expect(r).toEqual({ model: m, modified: false });
    expect(r.model).toBe(m);
  });

  it('running twice changes nothing', async () => {
    const once = (await run(withDeadCode())).model;
    const twice = await run(once);
    expect(twice.modified).toBe(false);
    expect(twice.model).toBe(once);
  });

  it('keeps an initializer that is also a graph input (IR 3 style overridable default)', async () => {
    const m = mkModel(mkGraph({ inputs: ['x', 'w'], outputs: ['x'], initializers: [floatTensor('w', [4], [1, 1, 1, 1])] }));
    expect((await run(m)).model).toBe(m);
  });

  it('cleans subgraphs with their outputs as roots, and keeps outer producers a subgraph captures', () => {
    // then-branch: t0 = Abs(cap) is the output; t1 = Neg(x) is dead inside the branch.
    const thenG = mkGraph({ name: 'then', outputs: ['t0'], idPrefix: 't', nodes: [mkNode('Abs', ['cap'], ['t0']), mkNode('Neg', ['x'], ['t1'])] });
    const elseG = mkGraph({ name: 'else', outputs: ['e0'], idPrefix: 'e', nodes: [mkNode('Neg', ['x'], ['e0'])] });
    const m = mkModel(mkGraph({ inputs: ['x', vi('cond', 9, [])], outputs: ['c'], nodes: [
      mkNode('Relu', ['x'], ['cap']), // only used by the then-branch: must stay
      mkNode('Neg', ['x'], ['dead']),
      mkNode('If', ['cond'], ['c'], { attributes: [{ name: 'then_branch', type: 'graph', value: thenG }, { name: 'else_branch', type: 'graph', value: elseG }] }),
    ] }));
    const r = deadCodeElimination.run(m, ctx) as { model: Model; modified: boolean };
    const g: Graph = r.model.graph;
    expect(g.nodes.map((n) => n.opType)).toEqual(['Relu', 'If']);
    const attrs = g.nodes[1].attributes;
    expect(attrs[0].type === 'graph' && attrs[0].value.nodes.map((n) => n.opType)).toEqual(['Abs']);
    expect(attrs[1]).toBe(m.graph.nodes[2].attributes[1]); // untouched branch shared
    expect(verifyModel(r.model)).toEqual([]);
  });

  it('removes nodes with no outputs at all and nodes whose only output is omitted', async () => {
    const m = mkModel(mkGraph({ inputs: ['x'], outputs: ['x'], nodes: [mkNode('Foo', ['x'], []), mkNode('Bar', ['x'], [null])] }));
    expect((await run(m)).model.graph.nodes).toEqual([]);
  });
});
