/**
 * Hand-built IR models for runtime tests (test support only, not shipped): a few lines per graph instead of
 * protobuf files. Types are plain IR data (see @lowbit/onnx-ir types.ts).
 */
import type { Attr, DataType, Dim, Graph, InlineTensor, Model, Node, ValueInfo } from '@lowbit/onnx-ir';

export const F32 = 1 as DataType;
export const I64 = 7 as DataType;
export const BOOL = 9 as DataType;
export const I32 = 6 as DataType;

export function vi(name: string, elemType: DataType = F32, shape?: readonly Dim[]): ValueInfo {
  return { name, type: { kind: 'tensor', elemType, shape } };
}

/** A node; its name (and id) default to `<op>_<first output>`. */
export function node(opType: string, inputs: (string | null)[], outputs: (string | null)[], attributes: Attr[] = [], name?: string, domain = ''): Node {
  const n = name ?? `${opType.toLowerCase()}_${outputs.find((o) => o) ?? 'none'}`;
  return { id: n, name: n, opType, domain, inputs, outputs, attributes };
}

export function graph(parts: { name?: string; inputs?: ValueInfo[]; outputs: ValueInfo[]; nodes: Node[]; initializers?: InlineTensor[]; valueInfo?: ValueInfo[] }): Graph {
  return {
    name: parts.name ?? 'g', inputs: parts.inputs ?? [], outputs: parts.outputs, initializers: parts.initializers ?? [],
    sparseInitializers: [], nodes: parts.nodes, valueInfo: parts.valueInfo ?? [],
  };
}

export function model(g: Graph, opset = 17, extraOpsets: { domain: string; version: number }[] = []): Model {
  return { irVersion: 8, opsetImports: [{ domain: '', version: opset }, ...extraOpsets], graph: g, functions: [], metadataProps: [] };
}

/** An inline float32 tensor (raw little-endian bytes). */
export function f32Tensor(name: string, dims: number[], values: number[]): InlineTensor {
  const data = new Uint8Array(new Float32Array(values).buffer);
  return { kind: 'inline', name, dtype: F32, dims, data, encoding: 'raw' };
}

export function i64Tensor(name: string, dims: number[], values: number[]): InlineTensor {
  const data = new Uint8Array(new BigInt64Array(values.map(BigInt)).buffer);
  return { kind: 'inline', name, dtype: I64, dims, data, encoding: 'raw' };
}

export const attr = {
  int: (name: string, v: number | bigint): Attr => ({ name, type: 'int', value: BigInt(v) }),
  ints: (name: string, v: (number | bigint)[]): Attr => ({ name, type: 'ints', value: v.map(BigInt) }),
  float: (name: string, v: number): Attr => ({ name, type: 'float', value: v }),
  floats: (name: string, v: number[]): Attr => ({ name, type: 'floats', value: v }),
  string: (name: string, v: string): Attr => ({ name, type: 'string', value: v }),
  tensor: (name: string, v: InlineTensor): Attr => ({ name, type: 'tensor', value: v }),
  graph: (name: string, v: Graph): Attr => ({ name, type: 'graph', value: v }),
};
