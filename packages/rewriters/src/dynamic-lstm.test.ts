import { describe, expect, it } from 'vitest';
import { chooseQParams } from '@lowbit/qparams';
import { DataType } from '@lowbit/onnx-ir';
import { intAttr, stringAttr } from './attrs.js';
import { dynamicQuantize } from './dynamic.js';
import { model, node, randFloats, vi } from './test-support/build.js';
import { expectApplies, expectNoop } from './test-support/laws.js';
import { ortRun } from './test-support/ort.js';
import { makeTensor, tensorNumbers } from './tensor-data.js';

const S = 5, B = 2, I = 4, H = 8;

function lstm(direction: 'forward' | 'bidirectional', layout = 0) {
  const D = direction === 'bidirectional' ? 2 : 1;
  return model({
    opset: 14,
    nodes: [node('LSTM', ['x', 'w', 'r', 'b'], ['y', 'yh', 'yc'], [intAttr('hidden_size', H), stringAttr('direction', direction), ...(layout ? [intAttr('layout', 1)] : [])], 'lstm')],
    inputs: [vi('x', layout ? [B, S, I] : [S, B, I])],
    outputs: [vi('y', undefined), vi('yh', undefined), vi('yc', undefined)],
    inits: [
      makeTensor('w', DataType.FLOAT, [D, 4 * H, I], randFloats(D * 4 * H * I, 1, 0.5)),
      makeTensor('r', DataType.FLOAT, [D, 4 * H, H], randFloats(D * 4 * H * H, 2, 0.5)),
      makeTensor('b', DataType.FLOAT, [D, 8 * H], randFloats(D * 8 * H, 3, 0.1)),
    ],
  });
}

describe('dynamic-quantize LSTM', () => {
  for (const direction of ['forward', 'bidirectional'] as const) {
    it(`${direction}: becomes DynamicQuantizeLSTM with transposed int8 weights and stays close to the float LSTM in onnxruntime`, async () => {
      const f = lstm(direction);
      const q = await expectApplies(dynamicQuantize(), f);
      const n = q.graph.nodes[0];
      expect([n.domain, n.opType, n.inputs.length]).toEqual(['com.microsoft', 'DynamicQuantizeLSTM', 12]);
      const D = direction === 'bidirectional' ? 2 : 1;
      const wq = q.graph.initializers.find((t) => t.name === n.inputs[1])!;
      expect(wq.dims).toEqual([D, I, 4 * H]);
      // per-direction scales are chooseQParams per-axis 0 of the original [D, 4H, I] weight
      const w = f.graph.initializers.find((t) => t.name === 'w')!;
      const c = chooseQParams({ data: Float32Array.from(tensorNumbers(w)), dims: w.dims }, { dtype: 'int8', scheme: 'symmetric', granularity: 'per-axis', axis: 0 });
      expect(Array.from(tensorNumbers(q.graph.initializers.find((t) => t.name === n.inputs[8])!))).toEqual(Array.from(c.scale));
      const x = randFloats(S * B * I, 9);
      const a = await ortRun(f, { x: { data: x, dims: [S, B, I] } });
      const b = await ortRun(q, { x: { data: x, dims: [S, B, I] } });
      for (const k of ['y', 'yh', 'yc']) for (let i = 0; i < a[k].length; i++) expect(Math.abs(a[k][i] - b[k][i])).toBeLessThan(0.05);
    });
  }

  it('leaves a batch-first LSTM alone', async () => {
    await expectNoop(dynamicQuantize(), lstm('forward', 1));
  });
});
