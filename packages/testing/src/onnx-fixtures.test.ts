import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { decodeFixtureModel, encodeFixtureModel, readFixtureCase, readFixtureModel, type FixtureModelSpec } from './onnx-fixtures.js';
import { testdataPath } from './testdata.js';

const FLOAT = 1;
const UINT8 = 2;
const INT4 = 22;

describe('encodeFixtureModel', () => {
  const spec: FixtureModelSpec = {
    opset: 21,
    domains: { 'com.microsoft': 1 },
    nodes: [
      { opType: 'Add', inputs: ['x', 'b'], outputs: ['s'] },
      { opType: 'QuantizeLinear', inputs: ['s', 'scale', null], outputs: ['q'], attrs: [{ name: 'axis', type: 'int', value: 1 }, { name: 'note', type: 'strings', value: ['a', 'b'] }] },
    ],
    inputs: [{ name: 'x', elemType: FLOAT, dims: [1, 3] }],
    outputs: [{ name: 'q', elemType: UINT8 }],
    initializers: [
      { name: 'b', dataType: FLOAT, dims: [3], values: [0.5, -1, 2] },
      { name: 'scale', dataType: FLOAT, dims: [], values: Float32Array.of(0.25) },
      { name: 'w4', dataType: INT4, dims: [3], raw: Uint8Array.of(0x2f, 0x03) },
    ],
  };

  it('round-trips through decodeFixtureModel: nodes, attributes, values, raw sub-byte data', () => {
    const m = decodeFixtureModel(encodeFixtureModel(spec));
    expect(m.opsets).toEqual([{ domain: '', version: 21 }, { domain: 'com.microsoft', version: 1 }]);
    expect(m.nodes.map((n) => [n.opType, n.domain, n.inputs, n.outputs])).toEqual([
      ['Add', '', ['x', 'b'], ['s']],
      ['QuantizeLinear', '', ['s', 'scale', null], ['q']],
    ]);
    expect(m.nodes[1]!.attrs).toEqual([{ name: 'axis', type: 'int', value: 1n }, { name: 'note', type: 'strings', value: ['a', 'b'] }]);
    expect(m.inputs).toEqual([{ name: 'x', kind: 'tensor', elemType: FLOAT }]);
    expect(m.outputs).toEqual([{ name: 'q', kind: 'tensor', elemType: UINT8 }]);
    const [b, scale, w4] = m.initializers;
    expect([...(b!.values() as Float32Array)]).toEqual([0.5, -1, 2]);
    expect(scale!.dims).toEqual([]);
    expect([...(scale!.values() as Float32Array)]).toEqual([0.25]);
    // int4 [-1, 2, 3] packs to 0x2f 0x03 (low nibble first); values() gives one element per entry.
    expect(w4!.dataType).toBe(INT4);
    expect([...(w4!.values() as Int8Array)]).toEqual([-1, 2, 3]);
  });

  it('writes a model onnxruntime-node runs: y = x + b, quantized by scale 0.25', async () => {
    const bytes = encodeFixtureModel({ ...spec, domains: undefined, initializers: spec.initializers!.slice(0, 2), nodes: spec.nodes.map((n) => ({ ...n, attrs: undefined })) });
    const s = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
    const out = await s.run({ x: new ort.Tensor('float32', Float32Array.of(1, 2, 3), [1, 3]) });
    // (1.5, 1, 5) / 0.25 = (6, 4, 20)
    expect([...(out.q!.data as Uint8Array)]).toEqual([6, 4, 20]);
    await s.release();
  });

  it('keeps every float32 value bit for bit (fast-check)', () => {
    fc.assert(fc.property(fc.float32Array({ minLength: 0, maxLength: 16 }), (v) => {
      const m = decodeFixtureModel(encodeFixtureModel({ opset: 21, nodes: [], inputs: [], outputs: [], initializers: [{ name: 't', dataType: FLOAT, dims: [v.length], values: v }] }));
      const back = m.initializers[0]!.values() as Float32Array;
      expect(new Uint8Array(back.buffer, back.byteOffset, back.byteLength)).toEqual(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    }), { seed: 11, numRuns: 200 });
  });

  it('refuses a tensor with both or neither of values and raw, naming it', () => {
    expect(() => encodeFixtureModel({ opset: 21, nodes: [], inputs: [], outputs: [], initializers: [{ name: 'bad', dataType: FLOAT, dims: [1] }] })).toThrow(/fixture tensor "bad": give exactly one of values and raw/);
    expect(() => encodeFixtureModel({ opset: 21, nodes: [], inputs: [], outputs: [], initializers: [{ name: 'both', dataType: UINT8, dims: [1], values: [1], raw: Uint8Array.of(1) }] })).toThrow(/"both"/);
  });
});

describe('readFixtureCase / readFixtureModel', () => {
  it('reads test_quantizelinear_int4: node, attributes, inputs and expected output as plain data', () => {
    const c = readFixtureCase(testdataPath('onnx-node', 'test_quantizelinear_int4'));
    expect(c.name).toBe('test_quantizelinear_int4');
    expect(c.supported).toBe(true);
    const node = c.model.nodes.find((n) => n.opType === 'QuantizeLinear')!;
    expect(node.attrs.find((a) => a.name === 'axis')).toEqual({ name: 'axis', type: 'int', value: 0n });
    const set = c.sets[0]!;
    expect(set.inputs.map((t) => t.name)).toEqual(c.model.inputs.map((v) => v.name).filter((n) => !c.model.initializers.some((t) => t.name === n)));
    const [y] = set.outputs;
    expect(y!.dataType).toBe(INT4);
    const values = [...(y!.values() as Int8Array)];
    expect(values.length).toBe(y!.dims.reduce((a, b) => a * b, 1));
    expect(values.every((v) => v >= -8 && v <= 7)).toBe(true);
  });

  it('marks a case with sequence values unsupported and reads no data sets', () => {
    const c = readFixtureCase(testdataPath('onnx-node', 'test_sequence_insert_at_back'));
    expect(c.supported).toBe(false);
    expect(c.reason).toMatch(/sequence/);
    expect(c.sets).toEqual([]);
    expect(c.model.inputs.some((v) => v.kind === 'sequence')).toBe(true);
  });

  it('names control-flow attributes by kind only', () => {
    const m = readFixtureModel(testdataPath('onnx-node', 'test_if', 'model.onnx'));
    const node = m.nodes.find((n) => n.opType === 'If')!;
    expect(node.attrs.map((a) => (a.type === 'other' ? `${a.name}:${a.kind}` : a.name)).sort()).toEqual(['else_branch:graph', 'then_branch:graph']);
  });
});
