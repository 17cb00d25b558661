import * as ort from 'onnxruntime-node';
import { encodeFixtureModel } from '@lowbit/testing';

/** A graph input or output: name, TensorProto data type, dims. */
export interface IoSpec { readonly name: string; readonly elemType: number; readonly dims: readonly number[] }
/** A raw-data initializer (e.g. a float8 or int4 zero point, which the node binding cannot feed). */
export interface InitSpec { readonly name: string; readonly dataType: number; readonly dims: readonly number[]; readonly raw: Uint8Array }
export interface NodeSpec { readonly opType: string; readonly inputs: readonly string[]; readonly outputs: readonly string[]; readonly ints?: Readonly<Record<string, number>> }

/** Builds a small ONNX model (testing's fixture writer) and opens it in onnxruntime-node (CPU). */
export async function ortSession(opset: number, nodes: readonly NodeSpec[], inputs: readonly IoSpec[], outputs: readonly IoSpec[], inits: readonly InitSpec[] = []): Promise<ort.InferenceSession> {
  const model = encodeFixtureModel({
    opset,
    irVersion: 10,
    nodes: nodes.map((n) => ({
      opType: n.opType, inputs: n.inputs, outputs: n.outputs,
      attrs: Object.entries(n.ints ?? {}).map(([name, value]) => ({ name, type: 'int' as const, value })),
    })),
    inputs,
    outputs,
    initializers: inits,
  });
  return ort.InferenceSession.create(model, { executionProviders: ['cpu'] });
}

export { ort };
