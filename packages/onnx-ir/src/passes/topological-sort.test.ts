import { describe, expect, it } from 'vitest';
import { mkGraph, mkModel, mkNode } from '@lowbit/testing';
import { PreconditionError } from '../errors-pass.js';
import { createPassContext } from '../pass.js';
import { verifyModel } from '../verify.js';
import { topologicalSortPass } from './topological-sort.js';

const ctx = createPassContext({ verify: true });

describe('topological-sort pass', () => {
  const unsorted = () => mkModel(mkGraph({ inputs: ['x'], outputs: ['b'], nodes: [mkNode('Neg', ['a'], ['b'], { id: 'neg' }), mkNode('Relu', ['x'], ['a'], { id: 'relu' })] }));

  it('applies: orders producers before consumers', async () => {
    const m = unsorted();
    expect(verifyModel(m).map((d) => d.code)).toEqual(['NOT_TOPOLOGICAL']);
    const r = await topologicalSortPass.run(m, ctx);
    expect(r.modified).toBe(true);
    expect(r.model.graph.nodes.map((n) => n.id)).toEqual(['relu', 'neg']);
    expect(verifyModel(r.model)).toEqual([]);
  });

  it('does not apply to a sorted graph (same object) and running twice changes nothing', async () => {
    const once = (await topologicalSortPass.run(unsorted(), ctx)).model;
    const twice = await topologicalSortPass.run(once, ctx);
    expect(twice).toEqual({ model: once, modified: false });
    expect(twice.model).toBe(once);
  });

  it('a cycle is a PreconditionError', () => {
    const m = mkModel(mkGraph({ inputs: ['x'], outputs: ['b'], nodes: [mkNode('Neg', ['b'], ['a']), mkNode('Relu', ['a'], ['b'])] }));
    expect(() => topologicalSortPass.run(m, ctx)).toThrow(PreconditionError);
  });
});
