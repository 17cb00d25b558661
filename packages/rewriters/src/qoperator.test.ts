import { describe, expect, it } from 'vitest';
import { insertQdq, staticQuantTargets } from './insert-qdq.js';
import { qdqToQOperator } from './qoperator.js';
import { minMaxRanges } from './test-support/calibrate-ort.js';
import { expectApplies, expectNoop } from './test-support/laws.js';
import { ortRun } from './test-support/ort.js';
import { CONVNET_INPUT, convNet } from './test-support/small-models.js';
import type { Model } from '@lowbit/onnx-ir';

async function qdqModel(activationType: 'uint8' | 'int8', perChannel: boolean): Promise<{ f: Model; q: Model }> {
  const f = convNet();
  const ranges = await minMaxRanges(f, staticQuantTargets(f), 'x', [0, 1, 2, 3].map((s) => ({ data: CONVNET_INPUT(s + 10), dims: [1, 2, 6, 6] })));
  return { f, q: (await insertQdq({ ranges, perChannel, activationType }).run(f, {} as never)).model };
}

describe('qdq-to-qoperator', () => {
  for (const activationType of ['uint8', 'int8'] as const) {
    for (const perChannel of [false, true]) {
      it(`Conv+Relu+Q becomes QLinearConv (${activationType}, ${perChannel ? 'per-channel' : 'per-tensor'}) and matches the QDQ model in onnxruntime`, async () => {
        const { q } = await qdqModel(activationType, perChannel);
        const o = await expectApplies(qdqToQOperator(), q);
        const ops = o.graph.nodes.map((n) => n.opType);
        expect(ops).toContain('QLinearConv');
        expect(ops).not.toContain('Relu'); // implied by the Q's saturation (zero point = qmin for a [0, max] range)
        expect(ops).not.toContain('Conv');
        const x = CONVNET_INPUT(77);
        const a = (await ortRun(q, { x: { data: x, dims: [1, 2, 6, 6] } })).y;
        const b = (await ortRun(o, { x: { data: x, dims: [1, 2, 6, 6] } })).y;
        // same integer maths up to one quantization step of rounding differences in the fused kernel
        const amax = Math.max(...Array.from(a, Math.abs));
        for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(0.05 * amax);
      });
    }
  }

  it('does nothing on a float model', async () => {
    await expectNoop(qdqToQOperator(), convNet());
  });
});
