import { describe, expect, it } from 'vitest';
import { decodeModel, decodeTensor, encodeModel, MAX_IR_VERSION } from './codec.js';
import { ModelFormatError } from './errors.js';
import { buildOnnxSchema } from './schema.js';
import { tensorValuesSync } from './tensor-store.js';
import type { Attr } from './types.js';

const schema = buildOnnxSchema();
const ModelProto = schema.ModelProto;
const long = (s: string): string => s; // int64 given as decimal strings to fromObject

const md = (k: string) => [{ key: k, value: `${k}-value` }];
const tensor = (name: string, extra: object) => ({ name, dims: [long('2')], dataType: 1, rawData: new Uint8Array(8), metadataProps: md('t'), ...extra });
const tensorType = { tensorType: { elemType: 1, shape: { dim: [{ dimValue: long('2'), denotation: 'BATCH' }, { dimParam: 'N' }, {}] } }, denotation: 'TENSOR' };
const subgraph = {
  name: 'body', node: [{ opType: 'Identity', input: ['x'], output: ['y'], name: 'inner' }],
  input: [{ name: 'x', type: tensorType }], output: [{ name: 'y', type: tensorType }],
};

/** A ModelProto (as a protobufjs plain object) using every field of IR 11. */
const FULL = {
  irVersion: long('11'),
  opsetImport: [{ domain: '', version: long('21') }, { domain: 'custom', version: long('1') }],
  producerName: 'p', producerVersion: '1.0', domain: 'd', modelVersion: long('7'), docString: 'model doc',
  metadataProps: md('model'),
  graph: {
    name: 'main', docString: 'graph doc', metadataProps: md('graph'),
    input: [{ name: 'in', type: tensorType, docString: 'vi doc', metadataProps: md('vi') }],
    output: [
      { name: 'out', type: { sequenceType: { elemType: tensorType } } },
      { name: 'o2', type: { mapType: { keyType: 7, valueType: { optionalType: { elemType: tensorType } } } } },
      { name: 'o3', type: { sparseTensorType: { elemType: 1, shape: { dim: [{ dimValue: long('3') }] } } } },
      { name: 'o4', type: { opaqueType: { domain: 'x', name: 'y' } } },
      { name: 'o5', type: { tensorType: { elemType: 1 } } },
      { name: 'o6' },
    ],
    valueInfo: [{ name: 'mid', type: tensorType }],
    initializer: [
      tensor('w', { segment: { begin: long('0'), end: long('2') }, docString: 'w doc' }),
      { name: 'ext', dims: [long('4')], dataType: 1, dataLocation: 1, externalData: [{ key: 'location', value: 'w.bin' }, { key: 'offset', value: '16' }, { key: 'length', value: '16' }, { key: 'checksum', value: 'abc' }] },
      { name: 'i64', dims: [long('2')], dataType: 7, int64Data: [long('-3'), long('9007199254740993')] },
      { name: 'u64', dims: [long('1')], dataType: 13, uint64Data: [long('18446744073709551615')] },
      { name: 'u32', dims: [long('1')], dataType: 12, uint64Data: [long('4294967295')] },
      { name: 'dbl', dims: [long('1')], dataType: 11, doubleData: [0.1] },
      { name: 'str', dims: [long('2')], dataType: 8, stringData: [new Uint8Array([104, 105]), new Uint8Array([0xff])] },
      { name: 'i4', dims: [long('3')], dataType: 22, int32Data: [0x2f, 0x07] },
      { name: 'bf', dims: [long('1')], dataType: 16, int32Data: [0x3f80] },
      { name: 'f8', dims: [long('1')], dataType: 17, int32Data: [0x38] },
      { name: 'u2', dims: [long('4')], dataType: 25, rawData: new Uint8Array([0xe4]) },
      { name: 'c64', dims: [long('1')], dataType: 14, floatData: [1, -1] },
    ],
    sparseInitializer: [{ values: tensor('sv', {}), indices: { name: 'si', dims: [long('2')], dataType: 7, int64Data: [long('0'), long('3')] }, dims: [long('5')] }],
    quantizationAnnotation: [{ tensorName: 'w', quantParameterTensorNames: [{ key: 'SCALE_TENSOR', value: 's' }] }],
    node: [
      {
        name: 'n', opType: 'Custom', domain: 'custom', overload: 'ov', docString: 'node doc', input: ['in', '', 'w'], output: ['mid', ''],
        metadataProps: md('node'),
        deviceConfigurations: [{ configurationId: 'cfg', pipelineStage: 2, shardingSpec: [{ tensorName: 'w', device: [long('0'), long('1')], indexToDeviceGroupMap: [{ key: long('0'), value: [long('0'), long('1')] }], shardedDim: [{ axis: long('0'), simpleSharding: [{ dimValue: long('2'), numShards: long('2') }, { dimParam: 'B', numShards: long('4') }] }] }] }],
        attribute: [
          { name: 'f', type: 1, f: 0.5, docString: 'attr doc' },
          { name: 'i', type: 2, i: long('-9223372036854775808') },
          { name: 's', type: 3, s: new Uint8Array([0xc3, 0xa9]) },
          { name: 'sbad', type: 3, s: new Uint8Array([0xff, 0xfe]) },
          { name: 't', type: 4, t: tensor('tv', {}) },
          { name: 'g', type: 5, g: subgraph },
          { name: 'sp', type: 11, sparseTensor: { values: tensor('v', {}), indices: tensor('ix', {}), dims: [long('4')] } },
          { name: 'tp', type: 13, tp: tensorType },
          { name: 'fs', type: 6, floats: [1.5, -2] },
          { name: 'is', type: 7, ints: [long('1'), long('-1')] },
          { name: 'ss', type: 8, strings: [new Uint8Array([97])] },
          { name: 'ts', type: 9, tensors: [tensor('a', {})] },
          { name: 'gs', type: 10, graphs: [subgraph, subgraph] },
          { name: 'sps', type: 12, sparseTensors: [{ values: tensor('v2', {}), indices: tensor('ix2', {}), dims: [long('4')] }] },
          { name: 'tps', type: 14, typeProtos: [tensorType] },
          { name: 'r', type: 2, refAttrName: 'alpha' },
          { name: 'legacy', i: long('3') },
        ],
      },
    ],
  },
  functions: [{
    name: 'F', domain: 'custom', overload: 'o', input: ['a'], output: ['b'], attribute: ['alpha'],
    attributeProto: [{ name: 'beta', type: 1, f: 2 }], node: [{ opType: 'Identity', input: ['a'], output: ['b'] }],
    docString: 'fn doc', opsetImport: [{ domain: '', version: long('21') }], valueInfo: [{ name: 'a', type: tensorType }],
    metadataProps: md('fn'),
  }],
  trainingInfo: [{ initialization: subgraph, algorithm: subgraph, initializationBinding: md('ib'), updateBinding: md('ub') }],
  configuration: [{ name: 'cfg', numDevices: 2, device: ['cpu0', 'cpu1'] }],
};

const fullBytes = (): Uint8Array => ModelProto.encode(ModelProto.fromObject(FULL)).finish();
const plain = (b: Uint8Array): unknown => ModelProto.toObject(ModelProto.decode(b), { longs: String, defaults: false });

describe('codec: every IR 11 field', () => {
  it('survives decode -> encode exactly as protobufjs sees the original', () => {
    const bytes = fullBytes();
    const again = encodeModel(decodeModel(bytes));
    // The legacy attribute (no `type`) gets its type written; everything else is field-for-field the same.
    const want = structuredClone(plain(bytes)) as { graph: { node: { attribute: { name: string; type?: number }[] }[] } };
    want.graph.node[0]!.attribute.find((a) => a.name === 'legacy')!.type = 2;
    expect(plain(again)).toEqual(want);
    expect(encodeModel(decodeModel(again))).toEqual(again);
  });

  it('maps fields to the IR as types.ts documents', () => {
    const m = decodeModel(fullBytes());
    expect(m.irVersion).toBe(11);
    expect(m.modelVersion).toBe(7);
    expect(m.opsetImports).toEqual([{ domain: '', version: 21 }, { domain: 'custom', version: 1 }]);
    const n = m.graph.nodes[0]!;
    expect(n.id).toBe('n0');
    expect(n.inputs).toEqual(['in', null, 'w']);
    expect(n.outputs).toEqual(['mid', null]);
    expect(n.overload).toBe('ov');
    expect(n.metadataProps).toEqual(md('node'));
    const attr = (name: string): Attr => n.attributes.find((a) => a.name === name)!;
    expect(attr('i')).toMatchObject({ type: 'int', value: -(2n ** 63n) });
    expect(attr('s')).toMatchObject({ type: 'string', value: 'é' });
    expect(attr('sbad')).toMatchObject({ type: 'string', rawStrings: [new Uint8Array([0xff, 0xfe])] });
    expect(attr('is')).toMatchObject({ type: 'ints', value: [1n, -1n] });
    expect(attr('r')).toEqual({ name: 'r', type: 'ref', refAttrName: 'alpha', refType: 'int' });
    expect(attr('legacy')).toMatchObject({ type: 'int', value: 3n });
    expect((attr('g') as Extract<Attr, { type: 'graph' }>).value.nodes[0]!.id).toBe('n0');
    expect(attr('tp')).toMatchObject({ type: 'type-proto', value: { kind: 'tensor', elemType: 1, shape: [2, 'N', null], dimDenotations: ['BATCH', undefined, undefined], denotation: 'TENSOR' } });
    expect(m.graph.outputs.map((o) => o.type?.kind)).toEqual(['sequence', 'map', 'sparse-tensor', 'opaque', 'tensor', undefined]);
    expect(m.graph.outputs[4]!.type).toEqual({ kind: 'tensor', elemType: 1, shape: undefined });
    const init = (name: string) => m.graph.initializers.find((t) => t.name === name)!;
    expect(init('ext')).toMatchObject({ kind: 'external', location: 'w.bin', offset: 16, length: 16, checksum: 'abc' });
    expect(init('w')).toMatchObject({ kind: 'inline', encoding: 'raw', segment: { begin: 0, end: 2 }, docString: 'w doc' });
    expect(tensorValuesSync(init('i64')).data).toEqual(new BigInt64Array([-3n, 9007199254740993n]));
    expect(tensorValuesSync(init('u64')).data).toEqual(new BigUint64Array([2n ** 64n - 1n]));
    expect(tensorValuesSync(init('u32')).data).toEqual(new Uint32Array([4294967295]));
    expect(tensorValuesSync(init('i4')).data).toEqual(new Int8Array([-1, 2, 7]));
    // uint2 0xE4 = 0b11_10_01_00 -> [0, 1, 2, 3] from the lowest bits.
    expect(tensorValuesSync(init('u2')).data).toEqual(new Uint8Array([0, 1, 2, 3]));
    expect(tensorValuesSync(init('bf')).data).toEqual(new Uint16Array([0x3f80]));
    expect(tensorValuesSync(init('c64')).data).toEqual(new Float32Array([1, -1]));
    expect(tensorValuesSync(init('str')).data).toEqual(['hi', '\ufffd']);
    expect(m.graph.sparseInitializers[0]!.dims).toEqual([5]);
    expect(m.graph.quantizationAnnotation).toEqual([{ tensorName: 'w', quantParameterTensorNames: [{ key: 'SCALE_TENSOR', value: 's' }] }]);
    expect(m.functions[0]).toMatchObject({ name: 'F', overload: 'o', attributes: ['alpha'], metadataProps: md('fn') });
    expect(m.extra?.trainingInfo).toHaveLength(1);
    expect(m.extra?.configuration).toEqual([{ name: 'cfg', numDevices: 2, device: ['cpu0', 'cpu1'] }]);
  });
});

describe('codec: fields from a newer ONNX', () => {
  it('keeps unknown fields of models, graphs and nodes and writes them back', () => {
    // Field 99 (varint 5) and field 100 (bytes "hi"): tags (99 << 3 | 0) = 792 and (100 << 3 | 2) = 802 as varints.
    const f99 = new Uint8Array([0x98, 0x06, 0x05]);
    const f100 = new Uint8Array([0xa2, 0x06, 0x02, 0x68, 0x69]);
    const msg = ModelProto.fromObject({ irVersion: '10', opsetImport: [{ domain: '', version: '21' }], graph: { name: 'g', node: [{ opType: 'Relu', input: ['x'], output: ['y'] }] } }) as never as {
      $unknowns?: Uint8Array[]; graph: { $unknowns?: Uint8Array[]; node: { $unknowns?: Uint8Array[] }[] };
    };
    msg.$unknowns = [f99];
    msg.graph.$unknowns = [f100];
    msg.graph.node[0]!.$unknowns = [f99, f100];
    const bytes = ModelProto.encode(msg as never).finish();
    const m = decodeModel(bytes);
    expect(m.extra?.unknownFields).toEqual([f99]);
    expect(m.graph.extra?.unknownFields).toEqual([f100]);
    expect(m.graph.nodes[0]!.extra?.unknownFields).toEqual([f99, f100]);
    const again = encodeModel(m);
    expect(again.length).toBe(bytes.length);
    expect(decodeModel(again)).toEqual(m);
  });
});

describe('codec errors', () => {
  it('rejects unsupported IR versions with ModelFormatError', () => {
    for (const v of ['0', String(MAX_IR_VERSION + 1)]) {
      const bytes = ModelProto.encode(ModelProto.fromObject({ ...FULL, irVersion: v })).finish();
      expect(() => decodeModel(bytes)).toThrow(ModelFormatError);
      expect(() => decodeModel(bytes)).toThrow(/unsupported ONNX IR version/);
    }
    const m = decodeModel(fullBytes());
    expect(() => encodeModel({ ...m, irVersion: 99 })).toThrow(ModelFormatError);
  });
  it('rejects truncated bytes at every length with ModelFormatError', () => {
    const bytes = fullBytes();
    let rejected = 0;
    for (let n = 0; n < bytes.length; n++) {
      try {
        decodeModel(bytes.subarray(0, n));
      } catch (err) {
        expect(err).toBeInstanceOf(ModelFormatError);
        rejected++;
      }
    }
    // Cutting at a field boundary can leave a valid (smaller) message; most cuts cannot.
    expect(rejected).toBeGreaterThan(bytes.length * 0.9);
  });
  it('rejects a tensor with data in the wrong typed field, and non-numeric external offsets', () => {
    const T = schema.TensorProto;
    expect(() => decodeTensor(T.encode(T.fromObject({ dataType: 1, dims: ['1'], int64Data: ['1'] })).finish())).toThrow(/expected floatData/);
    const ext = T.encode(T.fromObject({ dataType: 1, dataLocation: 1, externalData: [{ key: 'location', value: 'x' }, { key: 'offset', value: '-1' }] })).finish();
    expect(() => decodeTensor(ext)).toThrow(ModelFormatError);
  });
});
