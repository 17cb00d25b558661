/**
 * IR -> plain objects that protobufjs' reflection encoders accept. Optional IR fields are written exactly when set;
 * required IR strings are written when non-empty. The output depends only on the IR, so encoding is deterministic.
 */
import { bigIntToLong } from './long.js';
import { tensorToMsg } from './tensor-proto.js';
import type { Attr, AttrType, Dim, FunctionDef, Graph, Model, Node, OpsetImport, SparseTensor, StringEntry, TypeInfo, ValueInfo } from './types.js';

type Obj = Record<string, unknown>;

const ATTR_NUMBER: Readonly<Record<Exclude<AttrType, 'ref'>, number>> = {
  float: 1, int: 2, string: 3, tensor: 4, graph: 5, 'sparse-tensor': 11, 'type-proto': 13,
  floats: 6, ints: 7, strings: 8, tensors: 9, graphs: 10, 'sparse-tensors': 12, 'type-protos': 14,
};

const utf8 = new TextEncoder();

function entries(list: readonly StringEntry[] | undefined): Obj[] | undefined {
  return list === undefined || list.length === 0 ? undefined : list.map((e) => ({ key: e.key, value: e.value }));
}

/** Unknown fields kept by decoding (`extra.unknownFields`) go back on the wire through protobufjs' `$unknowns`. */
function setUnknown(o: Obj, extra: Readonly<Record<string, unknown>> | undefined): void {
  const u = extra?.unknownFields;
  if (Array.isArray(u) && u.length > 0) o.$unknowns = u;
}

function setIf(o: Obj, k: string, v: unknown): void {
  if (v !== undefined) o[k] = v;
}

function opsets(list: readonly OpsetImport[]): Obj[] {
  // The domain is always written (as onnx's own helpers do), the empty default domain included.
  return list.map((o) => ({ domain: o.domain, version: o.version }));
}

export function modelToMsg(m: Model): Obj {
  const o: Obj = { irVersion: m.irVersion, opsetImport: opsets(m.opsetImports) };
  setIf(o, 'producerName', m.producerName);
  setIf(o, 'producerVersion', m.producerVersion);
  setIf(o, 'domain', m.domain);
  setIf(o, 'modelVersion', m.modelVersion);
  setIf(o, 'docString', m.docString);
  o.graph = graphToMsg(m.graph, 'graph');
  setIf(o, 'metadataProps', entries(m.metadataProps));
  if (m.functions.length > 0) o.functions = m.functions.map((f, i) => functionToMsg(f, `functions[${i}]`));
  const extra = m.extra ?? {};
  if (Array.isArray(extra.trainingInfo)) o.trainingInfo = extra.trainingInfo;
  if (Array.isArray(extra.configuration)) o.configuration = extra.configuration;
  setUnknown(o, extra);
  return o;
}

export function graphToMsg(g: Graph, where: string): Obj {
  const o: Obj = {};
  if (g.nodes.length > 0) o.node = g.nodes.map((n) => nodeToMsg(n, where));
  if (g.name !== '') o.name = g.name;
  if (g.initializers.length > 0) o.initializer = g.initializers.map((t, i) => tensorToMsg(t, `${where}.initializer[${i}]`));
  if (g.sparseInitializers.length > 0) o.sparseInitializer = g.sparseInitializers.map((s, i) => sparseToMsg(s, `${where}.sparse_initializer[${i}]`));
  setIf(o, 'docString', g.docString);
  if (g.inputs.length > 0) o.input = g.inputs.map(valueInfoToMsg);
  if (g.outputs.length > 0) o.output = g.outputs.map(valueInfoToMsg);
  if (g.valueInfo.length > 0) o.valueInfo = g.valueInfo.map(valueInfoToMsg);
  if (g.quantizationAnnotation !== undefined && g.quantizationAnnotation.length > 0) {
    o.quantizationAnnotation = g.quantizationAnnotation.map((a) => ({
      tensorName: a.tensorName,
      quantParameterTensorNames: a.quantParameterTensorNames.map((e) => ({ key: e.key, value: e.value })),
    }));
  }
  setIf(o, 'metadataProps', entries(g.metadataProps));
  setUnknown(o, g.extra);
  return o;
}

function nodeToMsg(n: Node, graphWhere: string): Obj {
  const where = `${graphWhere} node "${n.name}" (${n.opType})`;
  const o: Obj = {};
  if (n.inputs.length > 0) o.input = n.inputs.map((s) => s ?? '');
  if (n.outputs.length > 0) o.output = n.outputs.map((s) => s ?? '');
  if (n.name !== '') o.name = n.name;
  o.opType = n.opType;
  if (n.domain !== '') o.domain = n.domain;
  setIf(o, 'overload', n.overload);
  if (n.attributes.length > 0) o.attribute = n.attributes.map((a) => attrToMsg(a, where));
  setIf(o, 'docString', n.docString);
  setIf(o, 'metadataProps', entries(n.metadataProps));
  const dc = n.extra?.deviceConfigurations;
  if (Array.isArray(dc) && dc.length > 0) o.deviceConfigurations = dc;
  setUnknown(o, n.extra);
  return o;
}

function attrToMsg(a: Attr, nodeWhere: string): Obj {
  const where = `${nodeWhere} attribute "${a.name}"`;
  const o: Obj = { name: a.name };
  setIf(o, 'docString', a.docString);
  if (a.type === 'ref') {
    o.refAttrName = a.refAttrName;
    o.type = ATTR_NUMBER[a.refType as Exclude<AttrType, 'ref'>];
    return o;
  }
  o.type = ATTR_NUMBER[a.type];
  switch (a.type) {
    case 'float': o.f = a.value; break;
    case 'int': o.i = bigIntToLong(a.value); break;
    case 'string': o.s = a.rawStrings?.[0] ?? utf8.encode(a.value); break;
    case 'tensor': o.t = tensorToMsg(a.value, where); break;
    case 'graph': o.g = graphToMsg(a.value, `${where}.g`); break;
    case 'sparse-tensor': o.sparseTensor = sparseToMsg(a.value, where); break;
    case 'type-proto': o.tp = typeToMsg(a.value); break;
    case 'floats': o.floats = a.value; break;
    case 'ints': o.ints = a.value.map((v) => bigIntToLong(v)); break;
    case 'strings': o.strings = a.rawStrings ?? a.value.map((s) => utf8.encode(s)); break;
    case 'tensors': o.tensors = a.value.map((t, i) => tensorToMsg(t, `${where}[${i}]`)); break;
    case 'graphs': o.graphs = a.value.map((g, i) => graphToMsg(g, `${where}[${i}]`)); break;
    case 'sparse-tensors': o.sparseTensors = a.value.map((s, i) => sparseToMsg(s, `${where}[${i}]`)); break;
    case 'type-protos': o.typeProtos = a.value.map(typeToMsg); break;
  }
  return o;
}

function sparseToMsg(s: SparseTensor, where: string): Obj {
  const o: Obj = { values: tensorToMsg(s.values, `${where}.values`), indices: tensorToMsg(s.indices, `${where}.indices`) };
  if (s.dims.length > 0) o.dims = s.dims;
  return o;
}

function valueInfoToMsg(v: ValueInfo): Obj {
  const o: Obj = {};
  if (v.name !== '') o.name = v.name;
  if (v.type !== undefined) o.type = typeToMsg(v.type);
  setIf(o, 'docString', v.docString);
  setIf(o, 'metadataProps', entries(v.metadataProps));
  return o;
}

function shapeToMsg(shape: readonly Dim[], den: readonly (string | undefined)[] | undefined): Obj {
  return {
    dim: shape.map((d, i) => {
      const o: Obj = {};
      if (typeof d === 'number') o.dimValue = d;
      else if (typeof d === 'string') o.dimParam = d;
      const dn = den?.[i];
      if (dn !== undefined) o.denotation = dn;
      return o;
    }),
  };
}

export function typeToMsg(t: TypeInfo): Obj {
  const o: Obj = {};
  switch (t.kind) {
    case 'tensor':
    case 'sparse-tensor': {
      const inner: Obj = { elemType: t.elemType };
      if (t.shape !== undefined) inner.shape = shapeToMsg(t.shape, t.dimDenotations);
      o[t.kind === 'tensor' ? 'tensorType' : 'sparseTensorType'] = inner;
      break;
    }
    case 'sequence': o.sequenceType = t.elem === undefined ? {} : { elemType: typeToMsg(t.elem) }; break;
    case 'optional': o.optionalType = t.elem === undefined ? {} : { elemType: typeToMsg(t.elem) }; break;
    case 'map': {
      const inner: Obj = { keyType: t.keyType };
      if (t.value !== undefined) inner.valueType = typeToMsg(t.value);
      o.mapType = inner;
      break;
    }
    case 'opaque': {
      const inner: Obj = {};
      if (t.domain !== '') inner.domain = t.domain;
      if (t.name !== '') inner.name = t.name;
      o.opaqueType = inner;
      break;
    }
    case 'unknown': break;
  }
  setIf(o, 'denotation', t.denotation);
  return o;
}

function functionToMsg(f: FunctionDef, where: string): Obj {
  const w = `${where} "${f.name}"`;
  const o: Obj = {};
  if (f.name !== '') o.name = f.name;
  if (f.inputs.length > 0) o.input = f.inputs;
  if (f.outputs.length > 0) o.output = f.outputs;
  if (f.attributes.length > 0) o.attribute = f.attributes;
  if (f.attributeProtos.length > 0) o.attributeProto = f.attributeProtos.map((a) => attrToMsg(a, w));
  if (f.nodes.length > 0) o.node = f.nodes.map((n) => nodeToMsg(n, w));
  setIf(o, 'docString', f.docString);
  if (f.opsetImports.length > 0) o.opsetImport = opsets(f.opsetImports);
  if (f.domain !== '') o.domain = f.domain;
  setIf(o, 'overload', f.overload);
  if (f.valueInfo.length > 0) o.valueInfo = f.valueInfo.map(valueInfoToMsg);
  setIf(o, 'metadataProps', entries(f.metadataProps));
  return o;
}
