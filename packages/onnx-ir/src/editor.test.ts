import { describe, expect, it } from 'vitest';
import { floatTensor, mkGraph, mkModel, mkNode, vi } from '@lowbit/testing';
import { editGraph, editModel } from './editor.js';
import { PreconditionError } from './errors-pass.js';
import { graphIndex } from './graph-index.js';
import type { Graph } from './types.js';
import { verifyModel } from './verify.js';

// x -> Relu(a) -> Neg(b) -> y ; plus an If whose then-branch captures `a`.
function chain(): Graph {
  return mkGraph({
    inputs: ['x'], outputs: ['b'],
    nodes: [mkNode('Relu', ['x'], ['a']), mkNode('Neg', ['a'], ['b'])],
  });
}

function withCapture(): Graph {
  const thenG = mkGraph({ name: 'then', outputs: ['t0'], nodes: [mkNode('Abs', ['a'], ['t0'])], idPrefix: 't' });
  const elseG = mkGraph({ name: 'else', outputs: ['e0'], nodes: [mkNode('Neg', ['x'], ['e0'])], idPrefix: 'e' });
  return mkGraph({
    inputs: ['x', vi('cond', 9, [])], outputs: ['b', 'c'],
    nodes: [
      mkNode('Relu', ['x'], ['a']),
      mkNode('Neg', ['a'], ['b']),
      mkNode('If', ['cond'], ['c'], { attributes: [{ name: 'then_branch', type: 'graph', value: thenG }, { name: 'else_branch', type: 'graph', value: elseG }] }),
    ],
  });
}

const clean = (g: Graph) => verifyModel(mkModel(g)).filter((d) => d.severity === 'error');

describe('editGraph', () => {
  it('returns the same graph object when the callback changes nothing', () => {
    const g = chain();
    expect(editGraph(g, () => {})).toBe(g);
    // No-op edits (setting an input to its current value) are not changes either.
    expect(editGraph(g, (e) => { e.setInput('n1', 0, 'a'); })).toBe(g);
  });

  it('shares unchanged nodes and leaves the old graph untouched', () => {
    const g = chain();
    const snapshot = JSON.stringify(g);
    const g2 = editGraph(g, (e) => { e.insertAfter('n1', { opType: 'Abs', inputs: ['b'], outputs: ['c'] }); e.addOutput(vi('c')); });
    expect(g2).not.toBe(g);
    expect(g2.nodes[0]).toBe(g.nodes[0]);
    expect(g2.nodes[1]).toBe(g.nodes[1]);
    expect(g2.nodes.map((n) => n.opType)).toEqual(['Relu', 'Neg', 'Abs']);
    expect(JSON.stringify(g)).toBe(snapshot);
    expect(clean(g2)).toEqual([]);
  });

  it('insertBefore places the node before the given one and rewires with setInput', () => {
    const g2 = editGraph(chain(), (e) => {
      const n = e.insertBefore('n1', { opType: 'Abs', inputs: ['a'], outputs: ['a2'] });
      e.setInput('n1', 0, n.outputs[0]);
    });
    expect(g2.nodes.map((n) => n.opType)).toEqual(['Relu', 'Abs', 'Neg']);
    expect(g2.nodes[2].inputs).toEqual(['a2']);
    expect(g2.nodes[2].id).toBe('n1'); // ids are stable across versions
    expect(clean(g2)).toEqual([]);
  });

  it('addNode goes right after the last producer of its inputs', () => {
    const g2 = editGraph(chain(), (e) => { e.addNode({ opType: 'Abs', inputs: ['a'], outputs: ['z'] }); e.addOutput(vi('z')); });
    expect(g2.nodes.map((n) => n.opType)).toEqual(['Relu', 'Abs', 'Neg']);
  });

  it('re-sorts when edits leave the order broken (addNode feeding an earlier node)', () => {
    const g2 = editGraph(chain(), (e) => {
      const late = e.insertAfter('n1', { opType: 'Abs', inputs: ['x'], outputs: ['x2'] });
      e.setInput('n0', 0, late.outputs[0]); // Relu now reads a value produced after it
    });
    expect(g2.nodes.map((n) => n.opType)).toEqual(['Abs', 'Relu', 'Neg']);
    expect(clean(g2)).toEqual([]);
  });

  it('a cycle created by edits is a PreconditionError naming the nodes', () => {
    const err = (() => { try { editGraph(chain(), (e) => e.setInput('n0', 0, 'b')); } catch (x) { return x; } return undefined; })();
    expect(err).toBeInstanceOf(PreconditionError);
    expect((err as PreconditionError).context.nodes).toEqual(expect.arrayContaining(['n0', 'n1']));
    expect((err as Error).message).toMatch(/cycle/);
  });

  it('new node ids are never reused, even after the highest id was removed', () => {
    const g = chain();
    const g2 = editGraph(g, (e) => { e.removeNode('n1'); e.replaceAllUses('b', 'a'); });
    expect(g2.nodes.map((n) => n.id)).toEqual(['n0']);
    expect(g2.outputs[0].name).toBe('a');
    const g3 = editGraph(g2, (e) => { e.addNode({ opType: 'Neg', inputs: ['a'], outputs: ['q'] }); });
    expect(g3.nodes.map((n) => n.id)).toEqual(['n0', 'n2']);
  });

  it('freshName avoids every name in the graph and its subgraphs, and never repeats', () => {
    const g = withCapture();
    const names: string[] = [];
    editGraph(g, (e) => { for (let i = 0; i < 3; i++) names.push(e.freshName('t0')); names.push(e.freshName('a')); });
    expect(names).toEqual(['t0_1', 't0_2', 't0_3', 'a_1']);
  });

  it('freshName also avoids reserved names (the enclosing graph when editing a subgraph)', () => {
    const got: string[] = [];
    editGraph(chain(), (e) => { got.push(e.freshName('outer'), e.freshName('a')); }, { reservedNames: ['outer', 'outer_1'] });
    expect(got).toEqual(['outer_2', 'a_1']);
  });

  it('replaceAllUses rewrites node inputs, graph outputs and captures in subgraphs', () => {
    const g = withCapture();
    const g2 = editGraph(g, (e) => {
      const n = e.addNode({ opType: 'Abs', inputs: ['x'], outputs: ['a_alt'] });
      e.replaceAllUses('a', n.outputs[0]!);
      e.replaceAllUses('b', 'a_alt');
    });
    const idx = graphIndex(g2);
    expect(idx.consumers('a')).toEqual([]);
    expect(idx.captures('a')).toEqual([]);
    expect(idx.captures('a_alt').map((n) => n.opType)).toEqual(['If']);
    expect(g2.outputs.map((o) => o.name)).toEqual(['a_alt', 'c']);
    // The If node's else-branch did not capture `a`, so it is shared.
    const ifOld = g.nodes[2], ifNew = g2.nodes.find((n) => n.opType === 'If')!;
    expect(ifNew.attributes[1]).toBe(ifOld.attributes[1]);
    expect(ifNew.attributes[0]).not.toBe(ifOld.attributes[0]);
  });

  it('replaceAllUses stops at a subgraph that defines the name itself (shadowing)', () => {
    // The Loop-like body declares its own input `a`; its reads of `a` mean that input, not the outer value.
    const body = mkGraph({ name: 'body', inputs: ['a'], outputs: ['t0', 't1'], idPrefix: 't', nodes: [mkNode('Abs', ['a'], ['t0']), mkNode('Neg', ['x'], ['t1'])] });
    const g = mkGraph({ inputs: ['x', vi('cond', 9, [])], outputs: ['b', 'c'], nodes: [
      mkNode('Relu', ['x'], ['a']), mkNode('Neg', ['a'], ['b']),
      mkNode('If', ['cond'], ['c'], { attributes: [{ name: 'then_branch', type: 'graph', value: body }, { name: 'else_branch', type: 'graph', value: body }] })] });
    const g2 = editGraph(g, (e) => e.replaceAllUses('a', 'x'));
    expect(g2.nodes[1].inputs).toEqual(['x']);
    expect(g2.nodes[2]).toBe(g.nodes[2]); // the body only reads its own `a` (and outer `x`): untouched, shared
    const g3 = editGraph(g, (e) => e.replaceAllUses('x', 'a', { except: ['n0'] }));
    const then3 = g3.nodes[2].attributes[0];
    expect(then3.type === 'graph' && then3.value.nodes.map((n) => n.inputs[0])).toEqual(['a', 'a']); // outer x -> a
  });

  it('replaceAllUses leaves the `except` nodes alone (insert-then-redirect idiom)', () => {
    const g2 = editGraph(chain(), (e) => {
      const q = e.insertAfter('n0', { opType: 'Abs', inputs: ['a'], outputs: ['aq'] });
      e.replaceAllUses('a', 'aq', { except: [q] });
    });
    expect(g2.nodes.map((n) => `${n.opType}(${n.inputs.join(',')})`)).toEqual(['Relu(x)', 'Abs(a)', 'Neg(aq)']);
  });

  it('replaceNode keeps the position and gives a new id', () => {
    const g2 = editGraph(chain(), (e) => { e.replaceNode('n0', { opType: 'Abs', inputs: ['x'], outputs: ['a'] }); });
    expect(g2.nodes.map((n) => [n.id, n.opType])).toEqual([['n2', 'Abs'], ['n1', 'Neg']]);
  });

  it('initializer operations keep names unique and report misuse', () => {
    const w = floatTensor('w', [4], [1, 2, 3, 4]);
    const g = editGraph(chain(), (e) => { e.addInitializer(w); e.addNode({ opType: 'Add', inputs: ['b', 'w'], outputs: ['s'] }); e.addOutput(vi('s')); });
    expect(g.initializers).toEqual([w]);
    expect(() => editGraph(g, (e) => e.addInitializer(w))).toThrow(PreconditionError);
    expect(() => editGraph(g, (e) => e.removeInitializer('nope'))).toThrow(/no initializer "nope"/);
    const w2 = floatTensor('w', [4], [5, 6, 7, 8]);
    const g2 = editGraph(g, (e) => e.replaceInitializer('w', w2));
    expect(g2.initializers[0]).toBe(w2);
    expect(() => editGraph(g, (e) => e.replaceInitializer('w', floatTensor('v', [1], [0])))).toThrow(/expected "w"/);
    expect(editGraph(g, (e) => e.removeInitializer('w')).initializers).toEqual([]);
  });

  it('addNode refuses an output name that is already defined (SSA)', () => {
    expect(() => editGraph(chain(), (e) => e.addNode({ opType: 'Abs', inputs: ['x'], outputs: ['a'] }))).toThrow(/already defined/);
  });

  it('setValueInfo updates graph inputs/outputs in place and other values in value_info', () => {
    const g2 = editGraph(chain(), (e) => { e.setValueInfo(vi('x', 1, [8])); e.setValueInfo(vi('a', 1, [8])); });
    expect(g2.inputs[0].type).toEqual({ kind: 'tensor', elemType: 1, shape: [8] });
    expect(g2.valueInfo.map((v) => v.name)).toEqual(['a']);
    const g3 = editGraph(g2, (e) => e.removeValueInfo('a'));
    expect(g3.valueInfo).toEqual([]);
  });

  it('unknown node ids are a PreconditionError', () => {
    expect(() => editGraph(chain(), (e) => e.removeNode('n99'))).toThrow(PreconditionError);
  });

  it('editModel returns the same model when nothing changed', () => {
    const m = mkModel(chain());
    expect(editModel(m, () => {})).toBe(m);
    expect(editModel(m, (e) => e.removeOutput('b')).graph.outputs).toEqual([]);
  });
});
