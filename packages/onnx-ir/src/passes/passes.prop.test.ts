/**
 * Semantic laws of the common passes, checked against the tiny evaluator of @lowbit/testing (an independent oracle:
 * it interprets the graph node by node). For random graphs with If subgraphs and random float32 inputs (NaN, +-Inf,
 * -0 included):
 * - DCE, identity elimination and topological sort keep every graph output's name and value (NaN == NaN, -0 != +0);
 * - each pass is idempotent (second run returns the same object) and leaves a verify-clean model;
 * - DCE leaves no node whose outputs are all unused; identity elimination leaves only Identities that carry a
 *   graph output name.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GRAPH_VECTOR_LENGTH, arbFloat32Values, arbModel, evaluateGraph } from '@lowbit/testing';
import type { EvalValue } from '@lowbit/testing';
import { graphIndex } from '../graph-index.js';
import { PassManager } from '../pass-manager.js';
import { createPassContext } from '../pass.js';
import type { Pass, PassResult } from '../pass.js';
import type { Model } from '../types.js';
import { verifyModel } from '../verify.js';
import { deadCodeElimination } from './dead-code-elimination.js';
import { identityElimination } from './identity-elimination.js';
import { topologicalSortPass } from './topological-sort.js';

const ctx = createPassContext();
const feedsArb = fc.record({
  x0: arbFloat32Values(GRAPH_VECTOR_LENGTH), x1: arbFloat32Values(GRAPH_VECTOR_LENGTH), x2: arbFloat32Values(GRAPH_VECTOR_LENGTH),
  cond: fc.boolean(),
});
const feedsOf = (m: Model, f: { x0: Float32Array; x1: Float32Array; x2: Float32Array; cond: boolean }): Map<string, EvalValue> =>
  new Map(m.graph.inputs.map((i) => [i.name, (f as Record<string, EvalValue>)[i.name]]));

/** Same outputs, bit for bit (Object.is per element: NaN equals NaN, -0 differs from +0). */
function expectSameOutputs(a: Map<string, EvalValue>, b: Map<string, EvalValue>): void {
  expect([...b.keys()]).toEqual([...a.keys()]);
  for (const [k, va] of a) {
    const vb = b.get(k)!;
    if (typeof va === 'boolean') { expect(vb).toBe(va); continue; }
    expect((vb as Float32Array).length).toBe(va.length);
    va.forEach((x, i) => expect(Object.is(x, (vb as Float32Array)[i])).toBe(true));
  }
}

const runSync = (p: Pass, m: Model) => p.run(m, ctx) as PassResult;

describe('pass properties', () => {
  for (const pass of [deadCodeElimination, identityElimination, topologicalSortPass]) {
    it(`${pass.name} preserves outputs, is idempotent and leaves a valid model`, () => {
      fc.assert(fc.property(arbModel({ withSubgraphs: true, maxNodes: 10 }), feedsArb, (m, f) => {
        const r = runSync(pass, m);
        expect(r.modified).toBe(r.model !== m);
        expect(verifyModel(r.model).filter((d) => d.severity === 'error')).toEqual([]);
        expectSameOutputs(evaluateGraph(m, feedsOf(m, f)), evaluateGraph(r.model, feedsOf(r.model, f)));
        const again = runSync(pass, r.model);
        expect(again.model).toBe(r.model);
        expect(again.modified).toBe(false);
      }), { numRuns: 150 });
    });
  }

  it('topological-sort restores any permutation of the nodes to an order that computes the same outputs', () => {
    fc.assert(fc.property(arbModel({ withSubgraphs: true, maxNodes: 10 }), fc.array(fc.nat(), { minLength: 10, maxLength: 10 }), feedsArb, (m, keys, f) => {
      const perm = [...m.graph.nodes].sort((a, b) => keys[m.graph.nodes.indexOf(a)] - keys[m.graph.nodes.indexOf(b)]);
      const shuffled: Model = { ...m, graph: { ...m.graph, nodes: perm } };
      const r = runSync(topologicalSortPass, shuffled);
      expect(r.modified).toBe(r.model !== shuffled);
      expect(verifyModel(r.model).filter((d) => d.severity === 'error')).toEqual([]);
      expectSameOutputs(evaluateGraph(m, feedsOf(m, f)), evaluateGraph(r.model, feedsOf(r.model, f)));
    }), { numRuns: 150 });
  });

  it('after DCE every node feeds a graph output; after identity elimination every Identity writes a graph output', () => {
    fc.assert(fc.property(arbModel({ withSubgraphs: true, maxNodes: 10 }), (m) => {
      const d = runSync(deadCodeElimination, m).model.graph;
      const idx = graphIndex(d);
      for (const n of d.nodes) {
        expect(n.outputs.some((o) => o !== null && (idx.isGraphOutput(o) || idx.consumers(o).length > 0 || idx.captures(o).length > 0))).toBe(true);
      }
      const i = runSync(identityElimination, m).model.graph;
      const outs = new Set(i.outputs.map((o) => o.name));
      for (const n of i.nodes) if (n.opType === 'Identity') expect(outs.has(n.outputs[0]!)).toBe(true);
    }), { numRuns: 150 });
  });

  it('PassManager: random pipelines of the common passes obey the identity rule and reach a fixpoint', async () => {
    const passes = [deadCodeElimination, identityElimination, topologicalSortPass];
    await fc.assert(fc.asyncProperty(arbModel({ withSubgraphs: true }), fc.array(fc.constantFrom(...passes), { maxLength: 5 }), feedsArb, async (m, list, f) => {
      const r = await new PassManager(list, { fixpoint: true, maxIterations: 5 }).run(m, createPassContext({ verify: true }));
      expect(r.modified).toBe(r.model !== m);
      expect(r.timings.length).toBe(list.length * r.iterations);
      expectSameOutputs(evaluateGraph(m, feedsOf(m, f)), evaluateGraph(r.model, feedsOf(r.model, f)));
      const again = await new PassManager(list).run(r.model, createPassContext());
      expect(again.model).toBe(r.model);
    }), { numRuns: 100 });
  });

  it('PassManager: a pass breaking the identity rule is always caught and wrapped with its history', async () => {
    await fc.assert(fc.asyncProperty(arbModel(), fc.nat({ max: 3 }), fc.boolean(), async (m, position, copy) => {
      // copy: returns a fresh object claiming no change; otherwise returns the same object claiming a change.
      const rogue: Pass = { name: 'rogue', run: (x) => (copy ? { model: { ...x }, modified: false } : { model: x, modified: true }) };
      const list = [deadCodeElimination, identityElimination, topologicalSortPass].slice(0, position);
      let err: unknown;
      try { await new PassManager([...list, rogue]).run(m, createPassContext()); } catch (e) { err = e; }
      expect(err).toMatchObject({ code: 'PASS', passName: 'rogue', previousPasses: list.map((p) => p.name) });
      expect((err as Error).cause).toMatchObject({ code: 'POSTCONDITION' });
    }), { numRuns: 50 });
  });
});
