/**
 * Decoded protobufjs messages -> IR. Presence follows proto2: an optional IR field is set exactly when the proto
 * field was present; repeated fields become arrays; fields the IR does not model are kept in `extra` as plain objects
 * (int64 as decimal strings, bytes as Uint8Array) so encoding writes them back. One normalisation: the default
 * domain's other spelling, 'ai.onnx', becomes '' in nodes and opset imports (see domain.ts).
 */
import type protobuf from 'protobufjs';
import { ModelFormatError } from './errors.js';
import { normalizeDomain } from './domain.js';
import { longToBigInt, longToNumber, type LongLike } from './long.js';
import { entriesFrom, tensorFromMsg, type TensorMsg } from './tensor-proto.js';
import type {
  Attr, AttrType, DataType, Dim, FunctionDef, Graph, Model, Node, OpsetImport, SparseTensor, StringEntry, TensorRef, TypeInfo,
  ValueInfo,
} from './types.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Msg = any;

const has = (m: object, k: string): boolean => Object.prototype.hasOwnProperty.call(m, k);

/** AttributeProto.AttributeType number -> IR attribute type. */
export const ATTR_TYPE_BY_NUMBER: Readonly<Record<number, Exclude<AttrType, 'ref'>>> = {
  1: 'float', 2: 'int', 3: 'string', 4: 'tensor', 5: 'graph', 11: 'sparse-tensor', 13: 'type-proto',
  6: 'floats', 7: 'ints', 8: 'strings', 9: 'tensors', 10: 'graphs', 12: 'sparse-tensors', 14: 'type-protos',
};

export interface DecodeContext {
  readonly baseDir: string | undefined;
  /** Converts a message of the named type to a plain object for `extra` (Type.toObject). */
  readonly toPlain: (typeName: string, m: Msg) => Record<string, unknown>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(b: Uint8Array): string | undefined {
  try {
    return utf8.decode(b);
  } catch {
    return undefined;
  }
}

/** A plain Uint8Array view (protobufjs hands out Buffer slices when decoding a Buffer). */
function view(b: Uint8Array): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** One char per byte: how a non-UTF-8 attribute string is shown (its exact bytes stay in `rawStrings`). */
function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/**
 * Fields this schema does not know (a newer ONNX), as raw tag+value byte chunks in wire order; kept on models,
 * graphs and nodes (`extra.unknownFields`) and written back after the known fields.
 */
function unknownFields(m: Msg): Uint8Array[] | undefined {
  const u = m.$unknowns as Uint8Array[] | undefined;
  return u !== undefined && u.length > 0 ? u.map(view) : undefined;
}

function metadata(m: Msg): StringEntry[] | undefined {
  const list = m.metadataProps as { key: string; value: string }[];
  return list.length > 0 ? entriesFrom(list) : undefined;
}

function opsets(list: Msg[]): OpsetImport[] {
  return list.map((o) => ({ domain: normalizeDomain(o.domain as string), version: longToNumber(o.version as LongLike) }));
}

export function modelFromMsg(m: Msg, ctx: DecodeContext): Model {
  if (m.graph === null || m.graph === undefined) throw new ModelFormatError('model has no graph', { what: 'model' });
  const model: Record<string, unknown> = {
    irVersion: longToNumber(m.irVersion),
    opsetImports: opsets(m.opsetImport),
  };
  if (has(m, 'producerName')) model.producerName = m.producerName;
  if (has(m, 'producerVersion')) model.producerVersion = m.producerVersion;
  if (has(m, 'domain')) model.domain = m.domain;
  if (has(m, 'modelVersion')) model.modelVersion = longToNumber(m.modelVersion);
  if (has(m, 'docString')) model.docString = m.docString;
  model.graph = graphFromMsg(m.graph, 'graph', ctx);
  model.functions = (m.functions as Msg[]).map((f, i) => functionFromMsg(f, `functions[${i}]`, ctx));
  model.metadataProps = entriesFrom(m.metadataProps);
  const extra: Record<string, unknown> = {};
  if (m.trainingInfo.length > 0) extra.trainingInfo = (m.trainingInfo as Msg[]).map((t) => ctx.toPlain('TrainingInfoProto', t));
  if (m.configuration.length > 0) extra.configuration = (m.configuration as Msg[]).map((c) => ctx.toPlain('DeviceConfigurationProto', c));
  const unknown = unknownFields(m);
  if (unknown !== undefined) extra.unknownFields = unknown;
  if (Object.keys(extra).length > 0) model.extra = extra;
  return model as unknown as Model;
}

export function graphFromMsg(m: Msg, where: string, ctx: DecodeContext): Graph {
  const g: Record<string, unknown> = {
    name: m.name,
    inputs: (m.input as Msg[]).map(valueInfoFromMsg),
    outputs: (m.output as Msg[]).map(valueInfoFromMsg),
    initializers: (m.initializer as Msg[]).map((t, i) => tensorFromMsg(t as TensorMsg, `${where}.initializer[${i}]`, ctx.baseDir)),
    sparseInitializers: (m.sparseInitializer as Msg[]).map((s, i) => sparseFromMsg(s, `${where}.sparse_initializer[${i}]`, ctx)),
    nodes: nodesFromMsg(m.node, where, ctx),
    valueInfo: (m.valueInfo as Msg[]).map(valueInfoFromMsg),
  };
  if (has(m, 'docString')) g.docString = m.docString;
  const md = metadata(m);
  if (md !== undefined) g.metadataProps = md;
  if (m.quantizationAnnotation.length > 0) {
    g.quantizationAnnotation = (m.quantizationAnnotation as Msg[]).map((a) => ({
      tensorName: a.tensorName as string,
      quantParameterTensorNames: entriesFrom(a.quantParameterTensorNames),
    }));
  }
  const unknown = unknownFields(m);
  if (unknown !== undefined) g.extra = { unknownFields: unknown };
  return g as unknown as Graph;
}

function nodesFromMsg(list: Msg[], where: string, ctx: DecodeContext): Node[] {
  return list.map((n, i) => nodeFromMsg(n, `n${i}`, `${where}.node[${i}]`, ctx));
}

function nodeFromMsg(m: Msg, id: string, where0: string, ctx: DecodeContext): Node {
  const where = m.name !== '' ? `node "${m.name}" (${m.opType})` : `${where0} (${m.opType})`;
  const n: Record<string, unknown> = {
    id,
    name: m.name,
    opType: m.opType,
    domain: normalizeDomain(m.domain as string),
    inputs: (m.input as string[]).map((s) => (s === '' ? null : s)),
    outputs: (m.output as string[]).map((s) => (s === '' ? null : s)),
    attributes: (m.attribute as Msg[]).map((a) => attrFromMsg(a, where, ctx)),
  };
  if (has(m, 'overload')) n.overload = m.overload;
  if (has(m, 'docString')) n.docString = m.docString;
  const md = metadata(m);
  if (md !== undefined) n.metadataProps = md;
  const extra: Record<string, unknown> = {};
  if (m.deviceConfigurations.length > 0) {
    extra.deviceConfigurations = (m.deviceConfigurations as Msg[]).map((c) => ctx.toPlain('NodeDeviceConfigurationProto', c));
  }
  const unknown = unknownFields(m);
  if (unknown !== undefined) extra.unknownFields = unknown;
  if (Object.keys(extra).length > 0) n.extra = extra;
  return n as unknown as Node;
}

/** Infers the type of an attribute written without `type` (very old models): the one value field present. */
function inferAttrType(m: Msg): number {
  if (has(m, 'f')) return 1;
  if (has(m, 'i')) return 2;
  if (has(m, 's')) return 3;
  if (has(m, 't')) return 4;
  if (has(m, 'g')) return 5;
  if (has(m, 'sparseTensor')) return 11;
  if (has(m, 'tp')) return 13;
  if (m.floats.length > 0) return 6;
  if (m.ints.length > 0) return 7;
  if (m.strings.length > 0) return 8;
  if (m.tensors.length > 0) return 9;
  if (m.graphs.length > 0) return 10;
  if (m.sparseTensors.length > 0) return 12;
  if (m.typeProtos.length > 0) return 14;
  return 0;
}

function attrFromMsg(m: Msg, nodeWhere: string, ctx: DecodeContext): Attr {
  const where = `${nodeWhere} attribute "${m.name}"`;
  const typeNum = m.type !== 0 ? (m.type as number) : inferAttrType(m);
  const type = ATTR_TYPE_BY_NUMBER[typeNum];
  if (type === undefined) throw new ModelFormatError(`${where}: unknown attribute type ${typeNum}`, { what: 'model', where });
  const base: Record<string, unknown> = { name: m.name };
  if (has(m, 'docString')) base.docString = m.docString;
  if (has(m, 'refAttrName')) {
    return { ...base, type: 'ref', refAttrName: m.refAttrName, refType: type } as Attr;
  }
  let value: unknown;
  switch (type) {
    case 'float': value = m.f; break;
    case 'int': value = longToBigInt(m.i); break;
    case 'string': {
      const s = decodeUtf8(m.s);
      if (s === undefined) {
        base.rawStrings = [view(m.s)];
        value = latin1(m.s);
      } else value = s;
      break;
    }
    case 'tensor': value = tensorFromMsg(m.t ?? emptyTensor(), `${where}`, ctx.baseDir); break;
    case 'graph': value = graphFromMsg(m.g ?? emptyGraph(), `${where}.g`, ctx); break;
    case 'sparse-tensor': value = sparseFromMsg(m.sparseTensor ?? {}, where, ctx); break;
    case 'type-proto': value = typeFromMsg(m.tp ?? {}); break;
    case 'floats': value = (m.floats as number[]).slice(); break;
    case 'ints': value = (m.ints as LongLike[]).map(longToBigInt); break;
    case 'strings': {
      const raw = m.strings as Uint8Array[];
      const decoded = raw.map(decodeUtf8);
      if (decoded.some((s) => s === undefined)) {
        base.rawStrings = raw.map(view);
        value = raw.map(latin1);
      } else value = decoded;
      break;
    }
    case 'tensors': value = (m.tensors as Msg[]).map((t, i) => tensorFromMsg(t, `${where}[${i}]`, ctx.baseDir)); break;
    case 'graphs': value = (m.graphs as Msg[]).map((g, i) => graphFromMsg(g, `${where}[${i}]`, ctx)); break;
    case 'sparse-tensors': value = (m.sparseTensors as Msg[]).map((s, i) => sparseFromMsg(s, `${where}[${i}]`, ctx)); break;
    case 'type-protos': value = (m.typeProtos as Msg[]).map(typeFromMsg); break;
  }
  return { ...base, type, value } as Attr;
}

function emptyTensor(): TensorMsg {
  return {
    dims: [], dataType: 0, floatData: [], int32Data: [], stringData: [], int64Data: [], name: '', docString: '',
    rawData: new Uint8Array(0), externalData: [], dataLocation: 0, doubleData: [], uint64Data: [], metadataProps: [],
  };
}

function emptyGraph(): Msg {
  return { node: [], name: '', initializer: [], sparseInitializer: [], input: [], output: [], valueInfo: [], quantizationAnnotation: [], metadataProps: [] };
}

function sparseFromMsg(m: Msg, where: string, ctx: DecodeContext): SparseTensor {
  return {
    values: tensorFromMsg(m.values ?? emptyTensor(), `${where}.values`, ctx.baseDir) as TensorRef,
    indices: tensorFromMsg(m.indices ?? emptyTensor(), `${where}.indices`, ctx.baseDir) as TensorRef,
    dims: ((m.dims ?? []) as LongLike[]).map(longToNumber),
  };
}

export function valueInfoFromMsg(m: Msg): ValueInfo {
  const v: Record<string, unknown> = { name: m.name, type: m.type === null || m.type === undefined ? undefined : typeFromMsg(m.type) };
  if (has(m, 'docString')) v.docString = m.docString;
  const md = metadata(m);
  if (md !== undefined) v.metadataProps = md;
  return v as unknown as ValueInfo;
}

function shapeFromMsg(m: Msg): { shape: Dim[]; dimDenotations?: (string | undefined)[] } {
  const dims = (m.dim ?? []) as Msg[];
  const shape: Dim[] = new Array(dims.length);
  let den: (string | undefined)[] | undefined;
  for (let i = 0; i < dims.length; i++) {
    const d = dims[i];
    if (has(d, 'dimValue')) shape[i] = longToNumber(d.dimValue);
    else if (has(d, 'dimParam')) shape[i] = d.dimParam as string;
    else shape[i] = null;
    if (has(d, 'denotation')) {
      den ??= new Array(dims.length).fill(undefined);
      den[i] = d.denotation;
    }
  }
  return den === undefined ? { shape } : { shape, dimDenotations: den };
}

export function typeFromMsg(m: Msg): TypeInfo {
  const t: Record<string, unknown> = {};
  if (m.tensorType || m.sparseTensorType) {
    const tt = m.tensorType ?? m.sparseTensorType;
    t.kind = m.tensorType ? 'tensor' : 'sparse-tensor';
    t.elemType = tt.elemType as DataType;
    if (tt.shape) {
      const s = shapeFromMsg(tt.shape);
      t.shape = s.shape;
      if (s.dimDenotations) t.dimDenotations = s.dimDenotations;
    } else t.shape = undefined;
  } else if (m.sequenceType) {
    t.kind = 'sequence';
    t.elem = m.sequenceType.elemType ? typeFromMsg(m.sequenceType.elemType) : undefined;
  } else if (m.mapType) {
    t.kind = 'map';
    t.keyType = m.mapType.keyType;
    t.value = m.mapType.valueType ? typeFromMsg(m.mapType.valueType) : undefined;
  } else if (m.optionalType) {
    t.kind = 'optional';
    t.elem = m.optionalType.elemType ? typeFromMsg(m.optionalType.elemType) : undefined;
  } else if (m.opaqueType) {
    t.kind = 'opaque';
    t.domain = m.opaqueType.domain;
    t.name = m.opaqueType.name;
  } else t.kind = 'unknown';
  if (has(m, 'denotation')) t.denotation = m.denotation;
  return t as unknown as TypeInfo;
}

export function functionFromMsg(m: Msg, where: string, ctx: DecodeContext): FunctionDef {
  const fd: Record<string, unknown> = {
    name: m.name,
    domain: m.domain,
    inputs: (m.input as string[]).slice(),
    outputs: (m.output as string[]).slice(),
    attributes: (m.attribute as string[]).slice(),
    attributeProtos: (m.attributeProto as Msg[]).map((a) => attrFromMsg(a, `${where} "${m.name}"`, ctx)),
    nodes: nodesFromMsg(m.node, `${where} "${m.name}"`, ctx),
    opsetImports: opsets(m.opsetImport),
    valueInfo: (m.valueInfo as Msg[]).map(valueInfoFromMsg),
  };
  if (has(m, 'overload')) fd.overload = m.overload;
  if (has(m, 'docString')) fd.docString = m.docString;
  const md = metadata(m);
  if (md !== undefined) fd.metadataProps = md;
  return fd as unknown as FunctionDef;
}

export type { protobuf };
