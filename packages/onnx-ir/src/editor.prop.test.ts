/**
 * Laws of the editor, over random graphs (with If subgraphs) and random sequences of edits:
 * - every edit sequence built from legal operations leaves a graph verifyModel accepts (SSA, order, defined inputs,
 *   unique ids);
 * - node ids are stable and never reused, across the whole history of versions;
 * - structural sharing: a node equal to its previous version is the same object; the previous graph is unchanged.
 */
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { arbGraph, vi } from '@lowbit/testing';
import { editGraph } from './editor.js';
import type { GraphEditor } from './editor.js';
import type { Graph } from './types.js';
import { verifyModel } from './verify.js';

interface Op { readonly kind: number; readonly a: number; readonly b: number; readonly flag: boolean }
const opArb: fc.Arbitrary<Op> = fc.record({ kind: fc.nat({ max: 8 }), a: fc.nat(), b: fc.nat(), flag: fc.boolean() });
const UNARY = ['Relu', 'Neg', 'Abs', 'Identity'];

/** Applies one legal edit chosen by `op` to the editor's current state. */
function apply(e: GraphEditor, g0: Graph, op: Op): void {
  const nodes = e.nodes();
  const floatRoots = [...g0.inputs.filter((i) => i.name !== 'cond').map((i) => i.name), ...e.snapshot().initializers.map((t) => t.name)];
  const pick = <T>(xs: readonly T[], k: number): T | undefined => (xs.length === 0 ? undefined : xs[k % xs.length]);
  const unaryOp = UNARY[op.b % UNARY.length];
  switch (op.kind) {
    case 0: { // insertAfter: a new consumer of a node's output, maybe exposed as a graph output
      const n = pick(nodes, op.a);
      if (n === undefined) return;
      const m = e.insertAfter(n, { opType: unaryOp, inputs: [n.outputs[0]] });
      if (op.flag) e.addOutput(vi(m.outputs[0]!));
      return;
    }
    case 1: { // insertBefore + setInput: splice a new producer in front of a unary node
      const n = pick(nodes.filter((x) => UNARY.includes(x.opType)), op.a);
      const src = pick(floatRoots, op.b);
      if (n === undefined || src === undefined) return;
      const m = e.insertBefore(n, { opType: unaryOp, inputs: [src] });
      e.setInput(n, 0, m.outputs[0]);
      return;
    }
    case 2: { // remove a node nothing reads
      const n = pick(nodes.filter((x) => x.outputs.every((o) => o === null || (e.users(o).length === 0 && !e.snapshot().outputs.some((go) => go.name === o)))), op.a);
      if (n !== undefined) e.removeNode(n);
      return;
    }
    case 3: { // bypass a unary node: its readers (incl. subgraph captures, graph outputs) read its input instead
      const n = pick(nodes.filter((x) => UNARY.includes(x.opType)), op.a);
      if (n === undefined) return;
      e.replaceAllUses(n.outputs[0]!, n.inputs[0]!);
      e.removeNode(n);
      return;
    }
    case 4: { // redirect every read of some node output to a graph input / initializer (always in scope)
      const n = pick(nodes, op.a);
      const src = pick(floatRoots, op.b);
      if (n === undefined || src === undefined) return;
      e.replaceAllUses(n.outputs[0]!, src);
      return;
    }
    case 5: { // addNode over roots, placed by the editor
      const a = pick(floatRoots, op.a), b = pick(floatRoots, op.b);
      if (a === undefined || b === undefined) return;
      const m = e.addNode({ opType: op.flag ? 'Add' : 'Mul', inputs: [a, b] });
      e.addOutput(vi(m.outputs[0]!));
      return;
    }
    case 6: { // a new initializer and a node reading it
      const name = e.freshName('w');
      e.addInitializer({ kind: 'inline', name, dtype: 1, dims: [4], data: new Uint8Array(16), encoding: 'raw' });
      const n = pick(nodes, op.a);
      const m = e.addNode({ opType: 'Add', inputs: [n === undefined ? name : n.outputs[0], name] });
      e.addOutput(vi(m.outputs[0]!));
      return;
    }
    case 7: { // replace a unary node by another unary op with the same wiring
      const n = pick(nodes.filter((x) => UNARY.includes(x.opType)), op.a);
      if (n === undefined) return;
      const inputs = n.inputs, outputs = n.outputs;
      e.removeNode(n);
      e.addNode({ opType: unaryOp, inputs, outputs });
      return;
    }
    default: { // type info for an intermediate value
      const n = pick(nodes, op.a);
      if (n !== undefined) e.setValueInfo(vi(n.outputs[0]!, 1, [op.flag ? 4 : 'N']));
    }
  }
}

describe('editor properties', () => {
  it('random edit sequences keep every invariant', () => {
    fc.assert(fc.property(arbGraph({ withSubgraphs: true }), fc.array(fc.array(opArb, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 5 }), (g0, rounds) => {
      expect(verifyModel({ irVersion: 8, opsetImports: [{ domain: '', version: 17 }], graph: g0, functions: [], metadataProps: [] })).toEqual([]);
      const everIds = new Set(g0.nodes.map((n) => n.id));
      let g = g0;
      for (const ops of rounds) {
        const before = structuredClone(g);
        const next = editGraph(g, (e) => { for (const op of ops) apply(e, g, op); });
        // The previous version is untouched.
        expect(isDeepStrictEqual(g, before)).toBe(true);
        // Structurally valid.
        const errors = verifyModel({ irVersion: 8, opsetImports: [{ domain: '', version: 17 }], graph: next, functions: [], metadataProps: [] }).filter((d) => d.severity === 'error');
        expect(errors).toEqual([]);
        // Ids: kept ids keep meaning, new ids were never used before.
        const prevById = new Map(g.nodes.map((n) => [n.id, n]));
        for (const n of next.nodes) {
          const prev = prevById.get(n.id);
          if (prev === undefined) {
            expect(everIds.has(n.id)).toBe(false);
            everIds.add(n.id);
          } else if (isDeepStrictEqual(prev, n)) {
            expect(n).toBe(prev); // unchanged nodes are shared, not copied
          }
        }
        g = next;
      }
    }), { numRuns: 300 });
  });

  it('an edit that changes nothing returns the same graph object', () => {
    fc.assert(fc.property(arbGraph({ withSubgraphs: true }), fc.nat(), (g, k) => {
      const n = g.nodes[k % g.nodes.length];
      expect(editGraph(g, (e) => { e.setInput(n, 0, n.inputs[0]); e.replaceAllUses('not-a-value', 'x0'); e.nodes(); })).toBe(g);
    }));
  });
});
