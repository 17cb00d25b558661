/**
 * The optimisation pipeline on random graphs (arbModel of @lowbit/testing, If subgraphs included): at every level it
 * keeps every graph output's name and value (checked with the tiny independent evaluator), leaves a verify-clean
 * model, and is idempotent (a second run returns the same object).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GRAPH_VECTOR_LENGTH, arbFloat32Values, arbModel, evaluateGraph } from '@lowbit/testing';
import type { EvalValue } from '@lowbit/testing';
import { verifyErrors } from '@lowbit/onnx-ir';
import { optimizeForSession, GRAPH_OPTIMIZATION_LEVELS } from './pipeline.js';

const feedsArb = fc.record({ x0: arbFloat32Values(GRAPH_VECTOR_LENGTH), x1: arbFloat32Values(GRAPH_VECTOR_LENGTH), x2: arbFloat32Values(GRAPH_VECTOR_LENGTH), cond: fc.boolean() });

const same = (a: EvalValue | undefined, b: EvalValue | undefined): boolean => {
  if (typeof a === 'boolean' || typeof b === 'boolean') return a === b;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
};

describe('optimisation pipeline on random graphs', () => {
  it('property: outputs keep their names and values, the model verifies, a second run changes nothing', () => {
    fc.assert(fc.property(arbModel({ withSubgraphs: true }), feedsArb, fc.constantFrom(...GRAPH_OPTIMIZATION_LEVELS), (m, f, level) => {
      const { model } = optimizeForSession(m, { level });
      expect(verifyErrors(model)).toEqual([]);
      expect(model.graph.outputs.map((o) => o.name)).toEqual(m.graph.outputs.map((o) => o.name));
      const feeds = new Map(m.graph.inputs.map((i) => [i.name, (f as Record<string, EvalValue>)[i.name]]));
      const before = evaluateGraph(m, feeds);
      const after = evaluateGraph(model, feeds);
      for (const o of m.graph.outputs) expect(same(after.get(o.name), before.get(o.name))).toBe(true);
      expect(optimizeForSession(model, { level }).model).toBe(model);
    }), { numRuns: 150 });
  });
});
