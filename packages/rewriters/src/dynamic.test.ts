import { describe, expect, it } from 'vitest';
import { chooseQParams } from '@lowbit/qparams';
import type { Model } from '@lowbit/onnx-ir';
import { dynamicQuantize } from './dynamic.js';
import { expectApplies, expectNoop } from './test-support/laws.js';
import { ortRun } from './test-support/ort.js';
import { CONVNET_INPUT, convNet } from './test-support/small-models.js';
import { tensorFloats, tensorNumbers } from './tensor-data.js';

const init = (m: Model, name: string) => m.graph.initializers.find((t) => t.name === name)!;

describe('dynamic-quantize', () => {
  it('MatMulInteger u8 x s8 (weights from chooseQParams) and ConvInteger u8 x u8: loads and stays close', async () => {
    const f = convNet();
    for (const perChannel of [false, true]) {
      const q = await expectApplies(dynamicQuantize({ perChannel }), f);
      const ops = q.graph.nodes.map((n) => n.opType);
      expect(ops).toEqual(expect.arrayContaining(['DynamicQuantizeLinear', 'ConvInteger', 'MatMulInteger']));
      const mmi = q.graph.nodes.find((n) => n.opType === 'MatMulInteger')!;
      const expected = chooseQParams({ data: tensorFloats(init(f, 'w2')), dims: [72, 5] }, { dtype: 'int8', scheme: 'symmetric', granularity: perChannel ? 'per-axis' : 'per-tensor', axis: 1 });
      expect(Array.from(tensorNumbers(init(q, mmi.inputs[3]!)))).toEqual(Array.from(expected.zeroPoint));
      const x = CONVNET_INPUT(3);
      const a = (await ortRun(f, { x: { data: x, dims: [1, 2, 6, 6] } })).y;
      const b = (await ortRun(q, { x: { data: x, dims: [1, 2, 6, 6] } })).y;
      const amax = Math.max(...Array.from(a, Math.abs));
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(0.05 * amax);
    }
  });

  it('Conv weights: uint8 symmetric per tensor by default (zero point 128, so w - 128 fits int8), asymmetric on request (min..max onto 0..255); both load and stay close', async () => {
    const f = convNet();
    const wf = tensorFloats(init(f, 'w'));
    for (const scheme of [undefined, 'symmetric', 'asymmetric'] as const) {
      const q = await expectApplies(dynamicQuantize(scheme ? { convWeightScheme: scheme } : {}), f);
      const ci = q.graph.nodes.find((n) => n.opType === 'ConvInteger')!;
      const w = init(q, ci.inputs[1]!);
      const zp = Array.from(tensorNumbers(init(q, ci.inputs[3]!)));
      const expected = chooseQParams({ data: wf, dims: [wf.length] }, { dtype: 'uint8', scheme: scheme ?? 'symmetric', granularity: 'per-tensor' });
      expect(zp).toEqual(Array.from(expected.zeroPoint));
      if (scheme !== 'asymmetric') {
        expect(zp).toEqual([128]);
        expect(Array.from(tensorNumbers(w)).every((v) => v >= 0 && v <= 255)).toBe(true);
      } else {
        expect(Math.min(...Array.from(tensorNumbers(w)))).toBe(0);
        expect(Math.max(...Array.from(tensorNumbers(w)))).toBe(255);
      }
      const x = CONVNET_INPUT(5);
      const a = (await ortRun(f, { x: { data: x, dims: [1, 2, 6, 6] } })).y;
      const b = (await ortRun(q, { x: { data: x, dims: [1, 2, 6, 6] } })).y;
      const amax = Math.max(...Array.from(a, Math.abs));
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(0.05 * amax);
    }
  });

  it("conv: 'float' leaves Conv in float", async () => {
    const q = await expectApplies(dynamicQuantize({ conv: 'float' }), convNet());
    expect(q.graph.nodes.map((n) => n.opType)).toContain('Conv');
  });

  it('does nothing when no selected op is present', async () => {
    await expectNoop(dynamicQuantize({ opTypes: ['Gemm'] }), convNet());
  });
});
