/** TEST-ONLY helpers to hand-build small models. */
import { DataType } from '@lowbit/onnx-ir';
import type { Attr, Dim, Model, Node, TensorRef, ValueInfo } from '@lowbit/onnx-ir';

export function vi(name: string, shape: readonly Dim[] | undefined, elemType: DataType = DataType.FLOAT): ValueInfo {
  return { name, type: { kind: 'tensor', elemType, shape } };
}

export function node(opType: string, inputs: (string | null)[], outputs: string[], attributes: Attr[] = [], name?: string, domain = ''): Node {
  const nm = name ?? `${opType}_${outputs[0]}`;
  return { id: nm, name: nm, opType, domain, inputs, outputs, attributes };
}

export function model(opts: { nodes: Node[]; inputs: ValueInfo[]; outputs: ValueInfo[]; inits?: TensorRef[]; opset?: number; valueInfo?: ValueInfo[] }): Model {
  return {
    irVersion: 8,
    opsetImports: [{ domain: '', version: opts.opset ?? 13 }],
    graph: {
      name: 'test', inputs: opts.inputs, outputs: opts.outputs, initializers: opts.inits ?? [], sparseInitializers: [],
      nodes: opts.nodes, valueInfo: opts.valueInfo ?? [],
    },
    functions: [],
    metadataProps: [],
  };
}

/** Deterministic pseudo-random floats in [-1, 1) (xorshift32), for weights and inputs. */
export function randFloats(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return out;
}
