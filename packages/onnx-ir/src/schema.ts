/**
 * The ONNX protobuf schema (onnx.proto, IR version 11) as a protobufjs reflection descriptor.
 *
 * Written from the ONNX specification (onnx/onnx.proto). Field names are the camelCase forms protobufjs uses;
 * numbers, types, `repeated` and `[packed = true]` follow the spec exactly. onnx.proto is proto2, so repeated scalars
 * are unpacked unless the spec marks them packed (the TensorProto typed data fields).
 *
 * Every field of IR 11 is here: functions, training info, device configurations, metadata_props on models, graphs,
 * nodes, value infos, tensors and functions, sparse tensors, every TypeProto variant, and the int64 fields that carry
 * dims and integer attributes.
 */
import protobuf from 'protobufjs';

type F = { type: string; id: number; rule?: 'repeated'; options?: { packed: boolean } };
const f = (type: string, id: number): F => ({ type, id });
const r = (type: string, id: number): F => ({ type, id, rule: 'repeated' });
const p = (type: string, id: number): F => ({ type, id, rule: 'repeated', options: { packed: true } });

/** The descriptor, as plain JSON (protobufjs `INamespace`). */
export const ONNX_SCHEMA_JSON = {
  nested: {
    onnx: {
      nested: {
        Version: {
          values: {
            _START_VERSION: 0, IR_VERSION_2017_10_10: 1, IR_VERSION_2017_10_30: 2, IR_VERSION_2017_11_3: 3,
            IR_VERSION_2019_1_22: 4, IR_VERSION_2019_3_18: 5, IR_VERSION_2019_9_19: 6, IR_VERSION_2020_5_8: 7,
            IR_VERSION_2021_7_30: 8, IR_VERSION_2023_5_5: 9, IR_VERSION_2024_3_25: 10, IR_VERSION: 11,
          },
        },
        AttributeProto: {
          fields: {
            name: f('string', 1), refAttrName: f('string', 21), docString: f('string', 13), type: f('AttributeType', 20),
            f: f('float', 2), i: f('int64', 3), s: f('bytes', 4), t: f('TensorProto', 5), g: f('GraphProto', 6),
            sparseTensor: f('SparseTensorProto', 22), tp: f('TypeProto', 14),
            floats: r('float', 7), ints: r('int64', 8), strings: r('bytes', 9), tensors: r('TensorProto', 10),
            graphs: r('GraphProto', 11), sparseTensors: r('SparseTensorProto', 23), typeProtos: r('TypeProto', 15),
          },
          nested: {
            AttributeType: {
              values: {
                UNDEFINED: 0, FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, SPARSE_TENSOR: 11, TYPE_PROTO: 13,
                FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9, GRAPHS: 10, SPARSE_TENSORS: 12, TYPE_PROTOS: 14,
              },
            },
          },
        },
        ValueInfoProto: {
          fields: { name: f('string', 1), type: f('TypeProto', 2), docString: f('string', 3), metadataProps: r('StringStringEntryProto', 4) },
        },
        NodeProto: {
          fields: {
            input: r('string', 1), output: r('string', 2), name: f('string', 3), opType: f('string', 4),
            domain: f('string', 7), overload: f('string', 8), attribute: r('AttributeProto', 5), docString: f('string', 6),
            metadataProps: r('StringStringEntryProto', 9), deviceConfigurations: r('NodeDeviceConfigurationProto', 10),
          },
        },
        IntIntListEntryProto: { fields: { key: f('int64', 1), value: r('int64', 2) } },
        NodeDeviceConfigurationProto: {
          fields: { configurationId: f('string', 1), shardingSpec: r('ShardingSpecProto', 2), pipelineStage: f('int32', 3) },
        },
        ShardingSpecProto: {
          fields: {
            tensorName: f('string', 1), device: r('int64', 2), indexToDeviceGroupMap: r('IntIntListEntryProto', 3),
            shardedDim: r('ShardedDimProto', 4),
          },
        },
        ShardedDimProto: { fields: { axis: f('int64', 1), simpleSharding: r('SimpleShardedDimProto', 2) } },
        SimpleShardedDimProto: {
          oneofs: { dim: { oneof: ['dimValue', 'dimParam'] } },
          fields: { dimValue: f('int64', 1), dimParam: f('string', 2), numShards: f('int64', 3) },
        },
        TrainingInfoProto: {
          fields: {
            initialization: f('GraphProto', 1), algorithm: f('GraphProto', 2),
            initializationBinding: r('StringStringEntryProto', 3), updateBinding: r('StringStringEntryProto', 4),
          },
        },
        ModelProto: {
          fields: {
            irVersion: f('int64', 1), opsetImport: r('OperatorSetIdProto', 8), producerName: f('string', 2),
            producerVersion: f('string', 3), domain: f('string', 4), modelVersion: f('int64', 5), docString: f('string', 6),
            graph: f('GraphProto', 7), metadataProps: r('StringStringEntryProto', 14), trainingInfo: r('TrainingInfoProto', 20),
            functions: r('FunctionProto', 25), configuration: r('DeviceConfigurationProto', 26),
          },
        },
        DeviceConfigurationProto: { fields: { name: f('string', 1), numDevices: f('int32', 2), device: r('string', 3) } },
        StringStringEntryProto: { fields: { key: f('string', 1), value: f('string', 2) } },
        TensorAnnotation: {
          fields: { tensorName: f('string', 1), quantParameterTensorNames: r('StringStringEntryProto', 2) },
        },
        GraphProto: {
          fields: {
            node: r('NodeProto', 1), name: f('string', 2), initializer: r('TensorProto', 5),
            sparseInitializer: r('SparseTensorProto', 15), docString: f('string', 10), input: r('ValueInfoProto', 11),
            output: r('ValueInfoProto', 12), valueInfo: r('ValueInfoProto', 13),
            quantizationAnnotation: r('TensorAnnotation', 14), metadataProps: r('StringStringEntryProto', 16),
          },
          reserved: [[3, 4], [6, 9]],
        },
        TensorProto: {
          fields: {
            dims: r('int64', 1), dataType: f('int32', 2), segment: f('Segment', 3), floatData: p('float', 4),
            int32Data: p('int32', 5), stringData: r('bytes', 6), int64Data: p('int64', 7), name: f('string', 8),
            docString: f('string', 12), rawData: f('bytes', 9), externalData: r('StringStringEntryProto', 13),
            dataLocation: f('DataLocation', 14), doubleData: p('double', 10), uint64Data: p('uint64', 11),
            metadataProps: r('StringStringEntryProto', 16),
          },
          nested: {
            DataType: {
              values: {
                UNDEFINED: 0, FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9,
                FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, COMPLEX64: 14, COMPLEX128: 15, BFLOAT16: 16,
                FLOAT8E4M3FN: 17, FLOAT8E4M3FNUZ: 18, FLOAT8E5M2: 19, FLOAT8E5M2FNUZ: 20, UINT4: 21, INT4: 22,
                FLOAT4E2M1: 23, FLOAT8E8M0: 24, UINT2: 25, INT2: 26,
              },
            },
            Segment: { fields: { begin: f('int64', 1), end: f('int64', 2) } },
            DataLocation: { values: { DEFAULT: 0, EXTERNAL: 1 } },
          },
        },
        SparseTensorProto: { fields: { values: f('TensorProto', 1), indices: f('TensorProto', 2), dims: r('int64', 3) } },
        TensorShapeProto: {
          fields: { dim: r('Dimension', 1) },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
              fields: { dimValue: f('int64', 1), dimParam: f('string', 2), denotation: f('string', 3) },
            },
          },
        },
        TypeProto: {
          oneofs: { value: { oneof: ['tensorType', 'sequenceType', 'mapType', 'optionalType', 'sparseTensorType', 'opaqueType'] } },
          fields: {
            tensorType: f('Tensor', 1), sequenceType: f('Sequence', 4), mapType: f('Map', 5), optionalType: f('Optional', 9),
            sparseTensorType: f('SparseTensor', 8), opaqueType: f('Opaque', 7), denotation: f('string', 6),
          },
          nested: {
            Tensor: { fields: { elemType: f('int32', 1), shape: f('TensorShapeProto', 2) } },
            Sequence: { fields: { elemType: f('TypeProto', 1) } },
            Map: { fields: { keyType: f('int32', 1), valueType: f('TypeProto', 2) } },
            Optional: { fields: { elemType: f('TypeProto', 1) } },
            SparseTensor: { fields: { elemType: f('int32', 1), shape: f('TensorShapeProto', 2) } },
            Opaque: { fields: { domain: f('string', 1), name: f('string', 2) } },
          },
        },
        OperatorSetIdProto: { fields: { domain: f('string', 1), version: f('int64', 2) } },
        OperatorStatus: { values: { EXPERIMENTAL: 0, STABLE: 1 } },
        FunctionProto: {
          fields: {
            name: f('string', 1), input: r('string', 4), output: r('string', 5), attribute: r('string', 6),
            attributeProto: r('AttributeProto', 11), node: r('NodeProto', 7), docString: f('string', 8),
            opsetImport: r('OperatorSetIdProto', 9), domain: f('string', 10), overload: f('string', 13),
            valueInfo: r('ValueInfoProto', 12), metadataProps: r('StringStringEntryProto', 14),
          },
          reserved: [[2, 3]],
        },
      },
    },
  },
} as const;

/** The message types the codec uses, resolved once per call site (no module-level mutable state). */
export interface OnnxTypes {
  readonly root: protobuf.Root;
  readonly ModelProto: protobuf.Type;
  readonly TensorProto: protobuf.Type;
  readonly GraphProto: protobuf.Type;
}

/**
 * Builds the reflection root from {@link ONNX_SCHEMA_JSON}. The result is immutable after construction, so callers
 * may cache it (the codec keeps one lazily created instance; it is never mutated).
 */
export function buildOnnxSchema(): OnnxTypes {
  // protobufjs reads JSON descriptors as proto3 unless a type says otherwise; onnx.proto is proto2 (repeated scalars
  // unpacked unless marked packed), so every top-level message declares its edition.
  const nested: Record<string, object> = {};
  for (const [name, def] of Object.entries(ONNX_SCHEMA_JSON.nested.onnx.nested)) {
    nested[name] = 'fields' in def ? { ...def, edition: 'proto2' } : def;
  }
  const root = protobuf.Root.fromJSON({ nested: { onnx: { nested } } } as unknown as protobuf.INamespace);
  root.resolveAll();
  return {
    root,
    ModelProto: root.lookupType('onnx.ModelProto'),
    TensorProto: root.lookupType('onnx.TensorProto'),
    GraphProto: root.lookupType('onnx.GraphProto'),
  };
}
