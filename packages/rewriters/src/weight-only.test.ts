import { describe, expect, it } from 'vitest';
import { chooseQParams } from '@lowbit/qparams';
import { DataType } from '@lowbit/onnx-ir';
import { RewriteError } from './errors.js';
import { model, node, randFloats, vi } from './test-support/build.js';
import { expectApplies, expectNoop } from './test-support/laws.js';
import { ortRun } from './test-support/ort.js';
import { makeTensor, tensorNumbers } from './tensor-data.js';
import { weightOnlyQuantize } from './weight-only.js';

const K = 64, N = 6;
const mm = (opset: number) => model({
  opset, nodes: [node('MatMul', ['x', 'w'], ['y'], [], 'mm')], inputs: [vi('x', [2, K])], outputs: [vi('y', [2, N])],
  inits: [makeTensor('w', DataType.FLOAT, [K, N], randFloats(K * N, 4))],
});

describe('weight-only', () => {
  it('blocked int4 DequantizeLinear: parameters are chooseQParams per-block along K; loads and stays close', async () => {
    const f = mm(21);
    const q = await expectApplies(weightOnlyQuantize({ dtype: 'int4', blockSize: 32 }), f);
    const dq = q.graph.nodes.find((n) => n.opType === 'DequantizeLinear')!;
    expect(dq.attributes.map((a) => [a.name, a.type === 'int' ? Number(a.value) : null])).toEqual([['axis', 0], ['block_size', 32]]);
    const c = chooseQParams({ data: randFloats(K * N, 4), dims: [K, N] }, { dtype: 'int4', scheme: 'symmetric', granularity: 'per-block', axis: 0, blockSize: 32 });
    expect(Array.from(tensorNumbers(q.graph.initializers.find((t) => t.name === dq.inputs[1])!))).toEqual(Array.from(c.scale));
    const x = randFloats(2 * K, 5);
    const a = (await ortRun(f, { x: { data: x, dims: [2, K] } })).y;
    const b = (await ortRun(q, { x: { data: x, dims: [2, K] } })).y;
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(0.5); // |w| < 1, 4-bit steps 1/7, K = 64
  });

  it('does nothing without a constant MatMul weight', async () => {
    const m = model({ opset: 21, nodes: [node('MatMul', ['x', 'z'], ['y'])], inputs: [vi('x', [2, 2]), vi('z', [2, 2])], outputs: [vi('y', [2, 2])] });
    await expectNoop(weightOnlyQuantize(), m);
  });

  it('typed errors: block size, opset below 21, GPTQ without activations', async () => {
    expect(() => weightOnlyQuantize({ blockSize: 24 }).requires!(mm(21), {} as never)).toThrow(/block size.*power of two/);
    expect(() => weightOnlyQuantize().requires!(mm(13), {} as never)).toThrow(/opset >= 21/);
    await expect(Promise.resolve().then(() => weightOnlyQuantize({ algorithm: 'gptq' }).run(mm(21), {} as never))).rejects.toThrow(RewriteError);
    await expect(Promise.resolve().then(() => weightOnlyQuantize({ algorithm: 'gptq' }).run(mm(21), {} as never))).rejects.toThrow(/node "mm" \(MatMul\): input\[0\] "x"/);
  });
});
