import { describe, expect, it } from 'vitest';
import { floatTensor, mkGraph, mkModel, mkNode, vi } from '@lowbit/testing';
import { createPassContext } from '../pass.js';
import type { Model } from '../types.js';
import { verifyModel } from '../verify.js';
import { identityElimination } from './identity-elimination.js';

const ctx = createPassContext({ verify: true });
const run = async (m: Model) => identityElimination.run(m, ctx);
const show = (m: Model) => m.graph.nodes.map((n) => `${n.outputs.join(',')}=${n.opType}(${n.inputs.join(',')})`);

describe('identity-elimination', () => {
  it('applies: rewires consumers of an inner Identity (and chains of them) to its input', async () => {
    const m = mkModel(mkGraph({ inputs: ['x'], outputs: ['y'], valueInfo: [vi('i1')], nodes: [
      mkNode('Relu', ['x'], ['a']), mkNode('Identity', ['a'], ['i1']), mkNode('Identity', ['i1'], ['i2']), mkNode('Add', ['i2', 'i1'], ['y'])] }));
    const r = await run(m);
    expect(r.modified).toBe(true);
    expect(show(r.model)).toEqual(['a=Relu(x)', 'y=Add(a,a)']);
    expect(r.model.graph.valueInfo).toEqual([]);
    expect(r.model.graph.nodes[0]).toBe(m.graph.nodes[0]);
    expect(verifyModel(r.model)).toEqual([]);
  });

  it('keeps graph output names: renames the producer to write the output directly', async () => {
    const m = mkModel(mkGraph({ inputs: ['x'], outputs: ['y'], nodes: [
      mkNode('Relu', ['x'], ['a']), mkNode('Neg', ['a'], ['b']), mkNode('Identity', ['a'], ['y'])] }));
    const r = await run(m);
    expect(show(r.model)).toEqual(['y=Relu(x)', 'b=Neg(y)']);
    expect(r.model.graph.outputs.map((o) => o.name)).toEqual(['y']);
    expect(r.model.graph.nodes[0].id).toBe('n0');
  });

  it('keeps an output Identity whose input is a graph input, an initializer, or another graph output', async () => {
    const m = mkModel(mkGraph({ inputs: ['x'], outputs: ['y1', 'y2', 'a', 'y3'], initializers: [floatTensor('w', [4], [1, 2, 3, 4])], nodes: [
      mkNode('Identity', ['x'], ['y1']), mkNode('Identity', ['w'], ['y2']), mkNode('Relu', ['x'], ['a']), mkNode('Identity', ['a'], ['y3'])] }));
    expect(await run(m)).toEqual({ model: m, modified: false });
  });

  it('two output Identities of one value: the first takes over the producer, the second stays', async () => {
    const m = mkModel(mkGraph({ inputs: ['x'], outputs: ['y1', 'y2'], nodes: [
      mkNode('Relu', ['x'], ['a']), mkNode('Identity', ['a'], ['y1']), mkNode('Identity', ['a'], ['y2'])] }));
    const r = await run(m);
    expect(show(r.model)).toEqual(['y1=Relu(x)', 'y2=Identity(y1)']);
    expect(verifyModel(r.model)).toEqual([]);
  });

  it('rewires captures in subgraphs and eliminates inside them, keeping subgraph outputs', async () => {
    const thenG = mkGraph({ name: 'then', outputs: ['t1'], idPrefix: 't', nodes: [mkNode('Identity', ['i'], ['t0']), mkNode('Abs', ['t0'], ['t1'])] });
    const elseG = mkGraph({ name: 'else', outputs: ['e0'], idPrefix: 'e', nodes: [mkNode('Identity', ['x'], ['e0'])] });
    const m = mkModel(mkGraph({ inputs: ['x', vi('cond', 9, [])], outputs: ['c'], nodes: [
      mkNode('Relu', ['x'], ['a']), mkNode('Identity', ['a'], ['i']),
      mkNode('If', ['cond'], ['c'], { attributes: [{ name: 'then_branch', type: 'graph', value: thenG }, { name: 'else_branch', type: 'graph', value: elseG }] })] }));
    const r = await run(m);
    expect(show(r.model)).toEqual(['a=Relu(x)', 'c=If(cond)']);
    const [t, e] = r.model.graph.nodes[1].attributes;
    expect(t.type === 'graph' && t.value.nodes.map((n) => `${n.opType}(${n.inputs.join(',')})`)).toEqual(['Abs(a)']);
    expect(e).toBe(m.graph.nodes[2].attributes[1]); // else-branch output reads an outer value: Identity kept, shared
    expect(verifyModel(r.model)).toEqual([]);
  });

  it('does not apply: a graph without Identity nodes is returned as is; and running twice changes nothing', async () => {
    const plain = mkModel(mkGraph({ inputs: ['x'], outputs: ['y'], nodes: [mkNode('Relu', ['x'], ['y'])] }));
    expect((await run(plain)).model).toBe(plain);
    const m = mkModel(mkGraph({ inputs: ['x'], outputs: ['y'], nodes: [mkNode('Relu', ['x'], ['a']), mkNode('Identity', ['a'], ['b']), mkNode('Identity', ['b'], ['y'])] }));
    const once = (await run(m)).model;
    expect(show(once)).toEqual(['y=Relu(x)']);
    const twice = await run(once);
    expect(twice.modified).toBe(false);
    expect(twice.model).toBe(once);
  });

  it('leaves Identity of other domains alone', async () => {
    const m = mkModel(mkGraph({ inputs: ['x'], outputs: ['y'], nodes: [mkNode('Identity', ['x'], ['a'], { domain: 'com.example' }), mkNode('Relu', ['a'], ['y'])] }));
    expect((await run(m)).model).toBe(m);
  });
});
