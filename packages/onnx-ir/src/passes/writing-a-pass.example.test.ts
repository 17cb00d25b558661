/** The worked example of docs/writing-a-pass.md, verbatim, with the tests the page describes. Keep them in step. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { arbFloat32Values, arbModel, evaluateGraph, mkGraph, mkModel, mkNode } from '@lowbit/testing';
import { editGraph } from '../editor.js';
import { graphIndex } from '../graph-index.js';
import { PassManager } from '../pass-manager.js';
import { createPassContext, unchanged } from '../pass.js';
import type { Pass, PassResult } from '../pass.js';
import type { Graph, Model } from '../types.js';
import { verifyModel } from '../verify.js';
import { deadCodeElimination } from './dead-code-elimination.js';

const isNeg = (n: { opType: string; domain: string }) => n.opType === 'Neg' && (n.domain === '' || n.domain === 'ai.onnx');

/** `g` with every `Neg(Neg(x))` read as `x`; `g` itself when there is none. */
export function eliminateDoubleNegation(g: Graph): Graph {
  const idx = graphIndex(g);
  return editGraph(g, (e) => {
    for (const outer of g.nodes) {
      if (!isNeg(outer)) continue;
      const inner = idx.producer(outer.inputs[0]!)?.node;
      if (inner === undefined || !isNeg(inner)) continue;
      const y = outer.outputs[0]!;
      // Graph output names are the model's interface: leave those alone.
      if (idx.isGraphOutput(y)) continue;
      e.replaceAllUses(y, inner.inputs[0]!);   // node inputs and subgraph captures
      e.removeNode(outer);
    }
  });
}

export const doubleNegationElimination: Pass = {
  name: 'double-negation-elimination',
  run(m: Model) {
    const graph = eliminateDoubleNegation(m.graph);
    return graph === m.graph ? unchanged(m) : { model: { ...m, graph }, modified: true };
  },
};

const run = (m: Model) => doubleNegationElimination.run(m, createPassContext()) as PassResult;

describe('docs/writing-a-pass.md example: double-negation-elimination', () => {
  it('applies', () => {
    const m = mkModel(mkGraph({ inputs: ['x'], outputs: ['y'], nodes: [
      mkNode('Neg', ['x'], ['a']), mkNode('Neg', ['a'], ['b']), mkNode('Relu', ['b'], ['y'])] }));
    const r = run(m);
    expect(r.modified).toBe(true);
    expect(r.model.graph.nodes.map((n) => `${n.opType}(${n.inputs.join(',')})`)).toEqual(['Neg(x)', 'Relu(x)']);
    expect(verifyModel(r.model)).toEqual([]);
  });

  it('does not apply (same object back), also when the double negation ends in a graph output', () => {
    const plain = mkModel(mkGraph({ inputs: ['x'], outputs: ['y'], nodes: [mkNode('Neg', ['x'], ['y'])] }));
    expect(run(plain).model).toBe(plain);
    const atOutput = mkModel(mkGraph({ inputs: ['x'], outputs: ['y'], nodes: [mkNode('Neg', ['x'], ['a']), mkNode('Neg', ['a'], ['y'])] }));
    expect(run(atOutput).model).toBe(atOutput);
  });

  it('running twice changes nothing', () => {
    const m = mkModel(mkGraph({ inputs: ['x'], outputs: ['y'], nodes: [
      mkNode('Neg', ['x'], ['a']), mkNode('Neg', ['a'], ['b']), mkNode('Abs', ['b'], ['y'])] }));
    const once = run(m).model;
    expect(run(once).model).toBe(once);
  });

  it('with DCE in a fixpoint pipeline, preserves outputs on random graphs', async () => {
    const pm = new PassManager([doubleNegationElimination, deadCodeElimination], { name: 'simplify', fixpoint: true });
    await fc.assert(fc.asyncProperty(arbModel({ withSubgraphs: true, maxNodes: 10 }), arbFloat32Values(4), fc.boolean(), async (m, x, cond) => {
      const { model } = await pm.run(m, createPassContext({ verify: true }));
      const feeds = new Map<string, Float32Array | boolean>(m.graph.inputs.map((i) => [i.name, i.name === 'cond' ? cond : x]));
      const a = evaluateGraph(m, feeds), b = evaluateGraph(model, feeds);
      for (const [k, v] of a) expect([...(b.get(k) as Float32Array)].map((t) => Object.is(t, -0) ? '-0' : t)).toEqual([...(v as Float32Array)].map((t) => Object.is(t, -0) ? '-0' : t));
    }), { numRuns: 100 });
  });
});
