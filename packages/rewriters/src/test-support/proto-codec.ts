/**
 * TEST-ONLY minimal IR <-> ONNX protobuf bridge (via onnx-proto), used until @lowbit/onnx-ir's codec lands, so the
 * rewriter tests can run models in onnxruntime-node. Handles the subset the tests build: tensors as raw_data or typed
 * float/int32/int64 fields, int/ints/float/floats/string/tensor attributes, tensor value infos.
 */
import { createRequire } from 'node:module';
import type { Attr, Graph, InlineTensor, Model, Node, TensorRef, TypeInfo, ValueInfo } from '@lowbit/onnx-ir';
import { encodeValues } from '../tensor-data.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const { onnx } = require('onnx-proto') as { onnx: any };

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

function long(v: Any): number {
  return typeof v === 'number' ? v : Number(v.toString());
}

function tensorFromProto(t: Any): InlineTensor {
  const dims = (t.dims ?? []).map(long);
  const dtype = t.dataType;
  let data: Uint8Array;
  if (t.rawData && t.rawData.length) data = Uint8Array.from(t.rawData);
  else if (t.floatData?.length) data = encodeValues(dtype, t.floatData);
  else if (t.int64Data?.length) data = encodeValues(dtype, t.int64Data.map(long));
  else if (t.int32Data?.length) data = encodeValues(dtype, t.int32Data);
  else if (t.doubleData?.length) data = encodeValues(dtype, t.doubleData);
  else data = new Uint8Array(0);
  return { kind: 'inline', name: t.name ?? '', dtype, dims, data, encoding: 'raw' };
}

function typeFromProto(tp: Any): TypeInfo | undefined {
  if (!tp?.tensorType) return undefined;
  const sh = tp.tensorType.shape;
  return {
    kind: 'tensor',
    elemType: tp.tensorType.elemType,
    shape: sh ? sh.dim.map((d: Any) => (d.dimValue != null && d.value === 'dimValue' ? long(d.dimValue) : d.dimParam ? d.dimParam : d.dimValue != null ? long(d.dimValue) : null)) : undefined,
  };
}

function attrFromProto(a: Any): Attr {
  switch (a.type) {
    case 1: return { name: a.name, type: 'float', value: a.f };
    case 2: return { name: a.name, type: 'int', value: BigInt(a.i.toString()) };
    case 3: return { name: a.name, type: 'string', value: new TextDecoder().decode(a.s) };
    case 4: return { name: a.name, type: 'tensor', value: tensorFromProto(a.t) };
    case 6: return { name: a.name, type: 'floats', value: [...a.floats] };
    case 7: return { name: a.name, type: 'ints', value: a.ints.map((x: Any) => BigInt(x.toString())) };
    case 8: return { name: a.name, type: 'strings', value: a.strings.map((s: Uint8Array) => new TextDecoder().decode(s)) };
    default: throw new Error(`test codec: attribute type ${a.type} unsupported`);
  }
}

export function decodeForTest(bytes: Uint8Array): Model {
  const m = onnx.ModelProto.decode(bytes);
  const g = m.graph;
  const vi = (v: Any): ValueInfo => ({ name: v.name, type: typeFromProto(v.type) });
  const nodes: Node[] = g.node.map((n: Any, i: number) => ({
    id: `n${i}`, name: n.name || `node_${i}`, opType: n.opType, domain: n.domain ?? '',
    inputs: n.input.map((x: string) => (x === '' ? null : x)), outputs: n.output.map((x: string) => (x === '' ? null : x)),
    attributes: n.attribute.map(attrFromProto),
  }));
  const graph: Graph = {
    name: g.name ?? 'g', inputs: g.input.map(vi), outputs: g.output.map(vi), initializers: g.initializer.map(tensorFromProto),
    sparseInitializers: [], nodes, valueInfo: g.valueInfo.map(vi),
  };
  return {
    irVersion: long(m.irVersion), opsetImports: m.opsetImport.map((o: Any) => ({ domain: o.domain ?? '', version: long(o.version) })),
    graph, functions: [], metadataProps: (m.metadataProps ?? []).map((e: Any) => ({ key: e.key, value: e.value })),
  };
}

function tensorToProto(t: TensorRef): Any {
  if (t.kind !== 'inline') throw new Error('test codec: inline tensors only');
  return { name: t.name, dims: [...t.dims], dataType: t.dtype, rawData: t.data };
}

function attrToProto(a: Attr): Any {
  switch (a.type) {
    case 'float': return { name: a.name, type: 1, f: a.value };
    case 'int': return { name: a.name, type: 2, i: Number(a.value) };
    case 'string': return { name: a.name, type: 3, s: new TextEncoder().encode(a.value) };
    case 'tensor': return { name: a.name, type: 4, t: tensorToProto(a.value) };
    case 'floats': return { name: a.name, type: 6, floats: [...a.value] };
    case 'ints': return { name: a.name, type: 7, ints: a.value.map(Number) };
    case 'strings': return { name: a.name, type: 8, strings: a.value.map((s) => new TextEncoder().encode(s)) };
    default: throw new Error(`test codec: attribute ${a.type} unsupported`);
  }
}

function viToProto(v: ValueInfo): Any {
  const t = v.type;
  if (!t || t.kind !== 'tensor') return { name: v.name };
  return {
    name: v.name,
    type: { tensorType: { elemType: t.elemType, shape: t.shape ? { dim: t.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {})) } : undefined } },
  };
}

export function encodeForTest(m: Model): Uint8Array {
  const g = m.graph;
  const proto = {
    irVersion: m.irVersion,
    opsetImport: m.opsetImports.map((o) => ({ domain: o.domain, version: o.version })),
    producerName: 'lowbit-test',
    metadataProps: m.metadataProps.map((e) => ({ key: e.key, value: e.value })),
    graph: {
      name: g.name,
      node: g.nodes.map((n) => ({
        name: n.name, opType: n.opType, domain: n.domain, input: n.inputs.map((x) => x ?? ''), output: n.outputs.map((x) => x ?? ''),
        attribute: n.attributes.map(attrToProto),
      })),
      initializer: g.initializers.map(tensorToProto),
      input: g.inputs.map(viToProto),
      output: g.outputs.map(viToProto),
      valueInfo: g.valueInfo.map(viToProto),
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.fromObject(proto)).finish();
}
