import { describe, expect, it } from 'vitest';
import { floatTensor, mkGraph, mkNode, vi } from '@lowbit/testing';
import { graphIndex } from './graph-index.js';

const branch = mkGraph({ name: 'then', outputs: ['t1'], nodes: [mkNode('Add', ['a', 'x'], ['t0']), mkNode('Neg', ['t0'], ['t1'])], idPrefix: 't' });
const g = mkGraph({
  inputs: ['x', vi('cond', 9, [])], outputs: ['b', 'c'], initializers: [floatTensor('w', [4], [1, 1, 1, 1])],
  nodes: [
    mkNode('Add', ['x', 'w'], ['a']),
    mkNode('Mul', ['a', 'a'], ['b']),
    mkNode('If', ['cond'], ['c'], { attributes: [{ name: 'then_branch', type: 'graph', value: branch }, { name: 'else_branch', type: 'graph', value: branch }] }),
  ],
});

describe('graphIndex', () => {
  it('is cached per graph object', () => {
    expect(graphIndex(g)).toBe(graphIndex(g));
    expect(graphIndex({ ...g })).not.toBe(graphIndex(g));
  });

  it('finds producers, consumers with input positions, and subgraph captures', () => {
    const idx = graphIndex(g);
    expect(idx.producer('a')).toEqual({ node: g.nodes[0], outputIndex: 0 });
    expect(idx.producer('x')).toBeUndefined();
    expect(idx.consumers('a')).toEqual([{ node: g.nodes[1], inputIndex: 0 }, { node: g.nodes[1], inputIndex: 1 }]);
    expect(idx.captures('a')).toEqual([g.nodes[2]]);
    expect(idx.captures('x')).toEqual([g.nodes[2]]);
    expect([...idx.nodeCaptures(g.nodes[2])].sort()).toEqual(['a', 'x']);
    expect(idx.isGraphOutput('b')).toBe(true);
    expect(idx.isGraphOutput('a')).toBe(false);
  });

  it('looks up nodes by id and position, and knows defined values', () => {
    const idx = graphIndex(g);
    expect(idx.node('n1')).toBe(g.nodes[1]);
    expect(idx.position('n2')).toBe(2);
    expect(idx.position('zz')).toBe(-1);
    expect(idx.initializer('w')?.name).toBe('w');
    expect(idx.input('cond')?.name).toBe('cond');
    expect([...idx.definedValues].sort()).toEqual(['a', 'b', 'c', 'cond', 'w', 'x']);
    expect(idx.outerReferences.size).toBe(0);
  });

  it('outer references of a subgraph are what it reads but does not define', () => {
    expect([...graphIndex(branch).outerReferences].sort()).toEqual(['a', 'x']);
  });
});
