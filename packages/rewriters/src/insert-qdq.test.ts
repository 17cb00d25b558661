import { describe, expect, it } from 'vitest';
import { chooseQParams, qparamsFromRange } from '@lowbit/qparams';
import { DataType } from '@lowbit/onnx-ir';
import type { Model, Node } from '@lowbit/onnx-ir';
import { RewriteError } from './errors.js';
import { insertQdq, staticQuantTargets } from './insert-qdq.js';
import { expectApplies, expectNoop } from './test-support/laws.js';
import { ortRun } from './test-support/ort.js';
import { CONVNET_INPUT, convNet } from './test-support/small-models.js';
import { minMaxRanges } from './test-support/calibrate-ort.js';
import { tensorFloats, tensorNumbers } from './tensor-data.js';

const init = (m: Model, name: string) => m.graph.initializers.find((t) => t.name === name)!;
const num = (m: Model, name: string) => Array.from(tensorNumbers(init(m, name)));
const producer = (m: Model, v: string) => m.graph.nodes.find((n) => n.outputs.includes(v));
const byOp = (m: Model, op: string) => m.graph.nodes.filter((n) => n.opType === op);

async function calibrated(m: Model) {
  const batches = [0, 1, 2, 3].map((s) => ({ data: CONVNET_INPUT(s + 10), dims: [1, 2, 6, 6] }));
  return minMaxRanges(m, staticQuantTargets(m), 'x', batches);
}

describe('insert-qdq', () => {
  it('lists the activations it needs: conv input, relu output (fused), matmul input', () => {
    expect(staticQuantTargets(convNet()).sort()).toEqual(['f', 'r', 'x']); // y is only a graph output: stays float
  });

  it('quantizes conv net per-channel: parameters come from qparams, Q sits after Relu, shape ops stay quantized', async () => {
    const m = convNet();
    const ranges = await calibrated(m);
    const q = await expectApplies(insertQdq({ ranges, perChannel: true }), m);
    // activation x: uint8 asymmetric from its calibrated range
    const qx = q.graph.nodes.find((n) => n.opType === 'QuantizeLinear' && n.inputs[0] === 'x')!;
    const px = qparamsFromRange(ranges.get('x')!, { dtype: 'uint8', scheme: 'asymmetric' });
    expect(num(q, qx.inputs[1]!)).toEqual([px.scale]);
    expect(num(q, qx.inputs[2]!)).toEqual([px.zeroPoint]);
    // weight: int8 symmetric per-channel along axis 0, equal to chooseQParams
    const conv = byOp(q, 'Conv')[0];
    const dqw = producer(q, conv.inputs[1]!)!;
    const cw = chooseQParams({ data: tensorFloats(init(m, 'w')), dims: [8, 2, 3, 3] }, { dtype: 'int8', scheme: 'symmetric', granularity: 'per-axis', axis: 0 });
    expect(num(q, dqw.inputs[1]!)).toEqual(Array.from(cw.scale));
    expect(dqw.attributes).toEqual([{ name: 'axis', type: 'int', value: 0n }]);
    // bias: int32, scale = fround(scale_x * scale_w[c]), zero point 0
    const dqb = producer(q, conv.inputs[2]!)!;
    expect(init(q, dqb.inputs[0]!).dtype).toBe(DataType.INT32);
    expect(num(q, dqb.inputs[1]!)).toEqual(Array.from(cw.scale, (s) => Math.fround(px.scale * s)));
    expect(num(q, dqb.inputs[2]!)).toEqual(new Array(8).fill(0));
    // Relu reads the Conv output directly; the Q follows Relu
    const relu = byOp(q, 'Relu')[0];
    expect(producer(q, relu.inputs[0]!)!.opType).toBe('Conv');
    expect(q.graph.nodes.some((n) => n.opType === 'QuantizeLinear' && n.inputs[0] === 'r')).toBe(true);
    // MaxPool and Reshape run on the quantized tensor: no Q/DQ between them
    const pool = byOp(q, 'MaxPool')[0];
    expect(producer(q, pool.inputs[0]!)!.opType).toBe('QuantizeLinear');
    const reshape = byOp(q, 'Reshape')[0];
    expect(producer(q, reshape.inputs[0]!)!.opType).toBe('MaxPool');
    expect(byOp(q, 'QuantizeLinear')).toHaveLength(2); // x and r (f shares r's parameters; y is a float graph output)
    // loads in onnxruntime-node and stays close to the float model
    const xin = CONVNET_INPUT(42);
    const ref = (await ortRun(m, { x: { data: xin, dims: [1, 2, 6, 6] } })).y;
    const got = (await ortRun(q, { x: { data: xin, dims: [1, 2, 6, 6] } })).y;
    const amax = Math.max(...Array.from(ref, Math.abs));
    for (let i = 0; i < ref.length; i++) expect(Math.abs(got[i] - ref[i])).toBeLessThan(0.05 * amax + 0.02);
  });

  it('excluded nodes are untouched (same node object) and get no Q/DQ', async () => {
    const m = convNet();
    const ranges = await calibrated(m);
    const q = await expectApplies(insertQdq({ ranges, excludeNodes: ['conv'] }), m);
    const conv = q.graph.nodes.find((n) => n.name === 'conv');
    expect(conv).toBe(m.graph.nodes[0]);
    expect(q.graph.nodes.some((n: Node) => n.opType === 'QuantizeLinear' && n.inputs[0] === 'x')).toBe(false);
  });

  it('does nothing when no node is selected', async () => {
    await expectNoop(insertQdq({ ranges: new Map(), opTypes: ['Gemm'] }), convNet());
  });

  it('explicit scale/zero point overrides are emitted verbatim', async () => {
    const m = convNet();
    const ranges = await calibrated(m);
    const q = await expectApplies(insertQdq({ ranges, tensorOverrides: { x: { scale: 0.5, zeroPoint: 3 } } }), m);
    const qx = q.graph.nodes.find((n) => n.opType === 'QuantizeLinear' && n.inputs[0] === 'x')!;
    expect(num(q, qx.inputs[1]!)).toEqual([0.5]);
    expect(num(q, qx.inputs[2]!)).toEqual([3]);
  });

  it('typed errors: missing range, per-channel below opset 13', async () => {
    await expect(Promise.resolve().then(() => insertQdq({ ranges: new Map() }).run(convNet(), {} as never))).rejects.toThrow(RewriteError);
    await expect(Promise.resolve().then(() => insertQdq({ ranges: new Map() }).run(convNet(), {} as never))).rejects.toThrow(/node "conv" \(Conv\).*"x"/);
    const ranges = await calibrated(convNet());
    await expect(Promise.resolve().then(() => insertQdq({ ranges, perChannel: true }).run(convNet(11), {} as never))).rejects.toThrow(/opset >= 13/);
  });
});

describe('insert-qdq int32 bias range', () => {
  // bias 1000: 8-bit scale_x*scale_w ~ (4/255)*(0.5/127) ~ 6e-5 -> 1.6e7 fits int32; 16-bit ~ 9e-10 -> 1e12 does not
  it('keeps a bias float when b / (scale_x * scale_w) does not fit int32 (16-bit activations and weights)', async () => {
    const m = convNet(21);
    const ranges = await calibrated(m);
    const big = { ...m, graph: { ...m.graph, initializers: m.graph.initializers.map((t) => (t.name === 'b' ? { ...t, data: new Uint8Array(new Float32Array(8).fill(1000).buffer) } : t)) } };
    const q = await expectApplies(insertQdq({ ranges, perChannel: true, activationType: 'uint16', weightType: 'int16' }), big);
    const conv = byOp(q, 'Conv')[0];
    expect(conv.inputs[2]).toBe('b');
    const q8 = await expectApplies(insertQdq({ ranges, perChannel: true }), big);
    expect(producer(q8, byOp(q8, 'Conv')[0].inputs[2]!)!.opType).toBe('DequantizeLinear');
  });
});
