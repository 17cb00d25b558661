import * as ort from 'onnxruntime-node';
import { DataType, encodeModel, mkGraph, mkModel, mkNode, vi, type TensorRef } from '@lowbit/testing';

/** A graph input or output: name, TensorProto data type, dims. */
export interface IoSpec { readonly name: string; readonly elemType: number; readonly dims: readonly number[] }
/** A raw-data initializer (e.g. a float8 or int4 zero point, which the node binding cannot feed). */
export interface InitSpec { readonly name: string; readonly dataType: number; readonly dims: readonly number[]; readonly raw: Uint8Array }
export interface NodeSpec { readonly opType: string; readonly inputs: readonly string[]; readonly outputs: readonly string[]; readonly ints?: Readonly<Record<string, number>> }

/** Builds a small ONNX model (onnx-ir objects, encoded by its codec) and opens it in onnxruntime-node (CPU). */
export async function ortSession(opset: number, nodes: readonly NodeSpec[], inputs: readonly IoSpec[], outputs: readonly IoSpec[], inits: readonly InitSpec[] = []): Promise<ort.InferenceSession> {
  const io = (s: IoSpec) => vi(s.name, s.elemType as DataType, s.dims);
  const graph = mkGraph({
    name: 'g',
    nodes: nodes.map((n) => mkNode(n.opType, n.inputs, n.outputs, {
      attributes: Object.entries(n.ints ?? {}).map(([name, i]) => ({ name, type: 'int' as const, value: BigInt(i) })),
    })),
    initializers: inits.map((t): TensorRef => ({ kind: 'inline', name: t.name, dtype: t.dataType as DataType, dims: [...t.dims], data: t.raw, encoding: 'raw' })),
    inputs: inputs.map(io),
    outputs: outputs.map(io),
  });
  const model = encodeModel(mkModel(graph, { opset, irVersion: 10 }));
  return ort.InferenceSession.create(model, { executionProviders: ['cpu'] });
}

export { ort };
