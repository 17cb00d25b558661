import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';

/** A graph input or output: name, TensorProto data type, dims. */
export interface IoSpec { readonly name: string; readonly elemType: number; readonly dims: readonly number[] }
/** A raw-data initializer (e.g. a float8 or int4 zero point, which the node binding cannot feed). */
export interface InitSpec { readonly name: string; readonly dataType: number; readonly dims: readonly number[]; readonly raw: Uint8Array }
export interface NodeSpec { readonly opType: string; readonly inputs: readonly string[]; readonly outputs: readonly string[]; readonly ints?: Readonly<Record<string, number>> }

/** Builds a small ONNX model with onnx-proto and opens it in onnxruntime-node (CPU). */
export async function ortSession(opset: number, nodes: readonly NodeSpec[], inputs: readonly IoSpec[], outputs: readonly IoSpec[], inits: readonly InitSpec[] = []): Promise<ort.InferenceSession> {
  const vi = (s: IoSpec): onnx.IValueInfoProto => ({ name: s.name, type: { tensorType: { elemType: s.elemType, shape: { dim: s.dims.map((d) => ({ dimValue: d })) } } } });
  const model = onnx.ModelProto.encode({
    irVersion: 10,
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'g',
      node: nodes.map((n) => ({
        opType: n.opType, input: [...n.inputs], output: [...n.outputs],
        attribute: Object.entries(n.ints ?? {}).map(([name, i]) => ({ name, type: onnx.AttributeProto.AttributeType.INT, i })),
      })),
      initializer: inits.map((t) => ({ name: t.name, dataType: t.dataType, dims: [...t.dims], rawData: t.raw })),
      input: inputs.map(vi),
      output: outputs.map(vi),
    },
  }).finish();
  return ort.InferenceSession.create(model, { executionProviders: ['cpu'] });
}

export { ort };
