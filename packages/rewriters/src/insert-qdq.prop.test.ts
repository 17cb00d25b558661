import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { qparamsFromRange } from '@lowbit/qparams';
import { createPassContext, verifyErrors } from '@lowbit/onnx-ir';
import type { Model } from '@lowbit/onnx-ir';
import { insertQdq, staticQuantTargets } from './insert-qdq.js';
import { convNet } from './test-support/small-models.js';
import { tensorNumbers } from './tensor-data.js';

const num = (m: Model, name: string) => Array.from(tensorNumbers(m.graph.initializers.find((t) => t.name === name)!));
const base = convNet();
const targets = staticQuantTargets(base);
const rangeArb = fc.tuple(fc.double({ min: -50, max: 0, noNaN: true }), fc.double({ min: 0, max: 50, noNaN: true })).map(([min, max]) => ({ min, max }));
const rangesArb = fc.tuple(...targets.map(() => rangeArb)).map((rs) => new Map(targets.map((t, i) => [t, rs[i]])));
const typesArb = fc.constantFrom('uint8', 'int8') as fc.Arbitrary<'uint8' | 'int8'>;

describe('insert-qdq properties', () => {
  it('every emitted activation scale/zero point equals qparamsFromRange of the calibrated range', async () => {
    await fc.assert(fc.asyncProperty(rangesArb, typesArb, fc.boolean(), async (ranges, activationType, sym) => {
      const scheme = sym ? 'symmetric' : 'asymmetric';
      const q = (await insertQdq({ ranges, activationType, activationScheme: scheme, perChannel: true }).run(base, createPassContext())).model;
      expect(verifyErrors(q)).toEqual([]);
      for (const n of q.graph.nodes.filter((x) => x.opType === 'QuantizeLinear')) {
        const p = qparamsFromRange(ranges.get(n.inputs[0]!)!, { dtype: activationType, scheme });
        expect(num(q, n.inputs[1]!)).toEqual([p.scale]);
        expect(num(q, n.inputs[2]!)).toEqual([p.zeroPoint]);
      }
    }), { numRuns: 40 });
  });

  it('is idempotent and honours the identity rule', async () => {
    await fc.assert(fc.asyncProperty(rangesArb, fc.boolean(), async (ranges, perChannel) => {
      const pass = insertQdq({ ranges, perChannel });
      const once = await pass.run(base, createPassContext());
      expect(once.modified).toBe(once.model !== base);
      const twice = await pass.run(once.model, createPassContext());
      expect(twice.model).toBe(once.model);
      expect(twice.modified).toBe(false);
    }), { numRuns: 20 });
  });

  it('excluded nodes come back as the same objects', async () => {
    const names = base.graph.nodes.map((n) => n.name);
    await fc.assert(fc.asyncProperty(rangesArb, fc.subarray(names), async (ranges, excluded) => {
      const q = (await insertQdq({ ranges, excludeNodes: excluded }).run(base, createPassContext())).model;
      for (const n of base.graph.nodes) {
        if (!excluded.includes(n.name) || n.opType === 'Relu') continue;
        // an excluded compute node keeps its exact inputs unless a neighbour's quantization rewired them
        const out = q.graph.nodes.find((x) => x.name === n.name)!;
        if (n.opType === 'Conv' || n.opType === 'MatMul') expect(out.inputs.slice(1)).toEqual(n.inputs.slice(1));
        expect(out.opType).toBe(n.opType);
        expect(out.attributes).toBe(n.attributes);
      }
    }), { numRuns: 30 });
  });
});
