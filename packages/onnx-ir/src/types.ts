/**
 * The Lowbit IR: an immutable, id-based view of an ONNX model.
 *
 * Everything here is plain readonly data. References between parts are names/ids, never object pointers, so
 * unchanged nodes and tensors are shared between versions of a graph. Edits go through `editGraph` (editor.ts),
 * which returns a new Graph and leaves the old one untouched.
 *
 * Round trip is lossless: every field of the current ONNX schema (IR 11) has a place here, either modelled or
 * carried verbatim (`extra` bags hold decoded fields the IR does not interpret).
 */

/** ONNX TensorProto.DataType numbers, as in onnx.proto (IR 11). */
export const DataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
  FLOAT8E4M3FN: 17,
  FLOAT8E4M3FNUZ: 18,
  FLOAT8E5M2: 19,
  FLOAT8E5M2FNUZ: 20,
  UINT4: 21,
  INT4: 22,
  FLOAT4E2M1: 23,
  FLOAT8E8M0: 24,
  UINT2: 25,
  INT2: 26,
} as const;
export type DataType = (typeof DataType)[keyof typeof DataType];

/** A tensor dimension: a known size, a symbolic name (dim_param), or unknown (null). */
export type Dim = number | string | null;

export type TypeInfo =
  | { readonly kind: 'tensor'; readonly elemType: DataType; readonly shape: readonly Dim[] | undefined; readonly denotation?: string; readonly dimDenotations?: readonly (string | undefined)[] }
  | { readonly kind: 'sparse-tensor'; readonly elemType: DataType; readonly shape: readonly Dim[] | undefined; readonly denotation?: string; readonly dimDenotations?: readonly (string | undefined)[] }
  | { readonly kind: 'sequence'; readonly elem: TypeInfo | undefined; readonly denotation?: string }
  | { readonly kind: 'map'; readonly keyType: DataType; readonly value: TypeInfo | undefined; readonly denotation?: string }
  | { readonly kind: 'optional'; readonly elem: TypeInfo | undefined; readonly denotation?: string }
  | { readonly kind: 'opaque'; readonly domain: string; readonly name: string; readonly denotation?: string }
  | { readonly kind: 'unknown'; readonly denotation?: string };

export interface StringEntry {
  readonly key: string;
  readonly value: string;
}

export interface ValueInfo {
  readonly name: string;
  readonly type: TypeInfo | undefined;
  readonly docString?: string;
  readonly metadataProps?: readonly StringEntry[];
}

/** Where the bytes of a tensor live. Reading `dims`/`dtype` never does I/O. */
export type TensorRef = InlineTensor | ExternalTensor | LazyTensor;

interface TensorBase {
  readonly name: string;
  readonly dtype: DataType;
  /** ONNX dims (int64 in the proto), as numbers. */
  readonly dims: readonly number[];
  readonly docString?: string;
  readonly metadataProps?: readonly StringEntry[];
  /** TensorProto.segment, if present (rare). */
  readonly segment?: { readonly begin: number; readonly end: number };
}

/**
 * Bytes held in memory, in ONNX raw_data layout: little-endian, sub-byte types packed (int4/uint4/float4 two per
 * byte, low nibble first; int2/uint2 four per byte), bool one byte each, float16/bfloat16 as 16-bit patterns.
 * `encoding` remembers whether the proto used raw_data or the typed repeated fields, so re-encoding is byte-identical.
 * STRING tensors keep `strings` (each element's bytes) and an empty `data`.
 */
export interface InlineTensor extends TensorBase {
  readonly kind: 'inline';
  readonly data: Uint8Array;
  readonly encoding: 'raw' | 'typed';
  readonly strings?: readonly Uint8Array[];
}

/** Bytes in a file beside the model (ONNX external data), read on demand through a TensorStore. */
export interface ExternalTensor extends TensorBase {
  readonly kind: 'external';
  /** Path relative to the model's folder, as written in the model. */
  readonly location: string;
  readonly offset: number;
  /** Byte length; when the model omits it, the rest of the file from `offset`. */
  readonly length: number | undefined;
  readonly checksum?: string;
  /** Every external_data entry verbatim, in order, for lossless re-encoding. */
  readonly entries: readonly StringEntry[];
  /**
   * Absolute folder of the model this tensor was loaded from (not serialized). Reads resolve `location` against it
   * and stay confined to it. Undefined for a model decoded from bytes without a base folder.
   */
  readonly baseDir?: string;
}

/** Bytes computed on demand (e.g. by a rewrite), not yet materialized. Same layout as InlineTensor.data. */
export interface LazyTensor extends TensorBase {
  readonly kind: 'lazy';
  readonly compute: () => Uint8Array | Promise<Uint8Array>;
}

export interface SparseTensor {
  readonly values: TensorRef;
  readonly indices: TensorRef;
  readonly dims: readonly number[];
}

export type Attr =
  | AttrOf<'float', number>
  | AttrOf<'int', bigint>
  | AttrOf<'string', string>
  | AttrOf<'tensor', TensorRef>
  | AttrOf<'graph', Graph>
  | AttrOf<'sparse-tensor', SparseTensor>
  | AttrOf<'type-proto', TypeInfo>
  | AttrOf<'floats', readonly number[]>
  | AttrOf<'ints', readonly bigint[]>
  | AttrOf<'strings', readonly string[]>
  | AttrOf<'tensors', readonly TensorRef[]>
  | AttrOf<'graphs', readonly Graph[]>
  | AttrOf<'sparse-tensors', readonly SparseTensor[]>
  | AttrOf<'type-protos', readonly TypeInfo[]>
  /** A reference to an attribute of the enclosing function (FunctionProto attribute). */
  | { readonly name: string; readonly type: 'ref'; readonly refAttrName: string; readonly refType: AttrType; readonly docString?: string };

export type AttrType = Attr['type'];

interface AttrOf<T extends string, V> {
  readonly name: string;
  readonly type: T;
  readonly value: V;
  readonly docString?: string;
  /**
   * For 'string'/'strings': the exact bytes when they are not valid UTF-8 (so nothing is lost). Otherwise absent.
   */
  readonly rawStrings?: readonly Uint8Array[];
}

/** Stable within a graph and across its edited versions; never reused for another node. */
export type NodeId = string;

export interface Node {
  readonly id: NodeId;
  readonly name: string;
  readonly opType: string;
  /** '' for the default domain (decoding turns its other spelling, 'ai.onnx', into ''; see domain.ts). */
  readonly domain: string;
  readonly overload?: string;
  /** Value names; null marks an omitted optional input ('' in the proto). */
  readonly inputs: readonly (string | null)[];
  readonly outputs: readonly (string | null)[];
  readonly attributes: readonly Attr[];
  readonly docString?: string;
  readonly metadataProps?: readonly StringEntry[];
  /** Decoded proto fields the IR does not model (e.g. device_configurations), carried verbatim. */
  readonly extra?: Readonly<Record<string, unknown>>;
}

export interface Graph {
  readonly name: string;
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  /** In model order. Names are unique. */
  readonly initializers: readonly TensorRef[];
  readonly sparseInitializers: readonly SparseTensor[];
  /** Topologically sorted (verifyModel checks this). */
  readonly nodes: readonly Node[];
  /** GraphProto.value_info: types of intermediate values. */
  readonly valueInfo: readonly ValueInfo[];
  readonly docString?: string;
  readonly metadataProps?: readonly StringEntry[];
  /** GraphProto.quantization_annotation, verbatim. */
  readonly quantizationAnnotation?: readonly { readonly tensorName: string; readonly quantParameterTensorNames: readonly StringEntry[] }[];
  readonly extra?: Readonly<Record<string, unknown>>;
  /**
   * Node-id watermark (not serialized): ids `n<k>` with k >= nextNodeId have never been used in this graph or its
   * earlier versions. The editor sets it so a removed node's id is never handed to a new node. Absent on decoded
   * graphs (the editor then starts past the largest `n<k>` id present).
   */
  readonly nextNodeId?: number;
}

export interface OpsetImport {
  /** '' for the default ONNX domain. */
  readonly domain: string;
  readonly version: number;
}

export interface FunctionDef {
  readonly name: string;
  readonly domain: string;
  readonly overload?: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: readonly string[];
  readonly attributeProtos: readonly Attr[];
  readonly nodes: readonly Node[];
  readonly opsetImports: readonly OpsetImport[];
  readonly valueInfo: readonly ValueInfo[];
  readonly docString?: string;
  readonly metadataProps?: readonly StringEntry[];
}

export interface Model {
  readonly irVersion: number;
  readonly opsetImports: readonly OpsetImport[];
  readonly producerName?: string;
  readonly producerVersion?: string;
  readonly domain?: string;
  readonly modelVersion?: number;
  readonly docString?: string;
  readonly graph: Graph;
  readonly functions: readonly FunctionDef[];
  readonly metadataProps: readonly StringEntry[];
  /** ModelProto.training_info and configuration (IR 11 device configurations), verbatim. */
  readonly extra?: Readonly<Record<string, unknown>>;
}
