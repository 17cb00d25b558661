/**
 * Terse builders for hand-written test graphs (DESIGN.md habit 4: behaviour as examples on 2-5 node graphs).
 * Node ids are `n0, n1, ...` in list order unless given; every node gets a name (its id if none is given).
 */
import { DataType } from '@lowbit/onnx-ir';
import type { Attr, Graph, InlineTensor, Model, Node, TensorRef, ValueInfo } from '@lowbit/onnx-ir';

/** A tensor ValueInfo (float32 of shape [4] unless told otherwise). */
export function vi(name: string, elemType: DataType = DataType.FLOAT, shape: readonly (number | string | null)[] | undefined = [4]): ValueInfo {
  return { name, type: { kind: 'tensor', elemType, shape } };
}

export interface NodeInit {
  readonly id?: string;
  readonly name?: string;
  readonly domain?: string;
  readonly attributes?: readonly Attr[];
}

/** A node without an id yet (mkGraph assigns one). */
export type NodeDraft = Omit<Node, 'id'> & { readonly id?: string };

export function mkNode(opType: string, inputs: readonly (string | null)[], outputs: readonly (string | null)[], init: NodeInit = {}): NodeDraft {
  return {
    ...(init.id !== undefined ? { id: init.id } : {}),
    name: init.name ?? '', opType, domain: init.domain ?? '', inputs: [...inputs], outputs: [...outputs],
    attributes: [...(init.attributes ?? [])],
  };
}

export interface GraphInit {
  readonly name?: string;
  /** Names (float32 [4]) or ValueInfos. */
  readonly inputs?: readonly (string | ValueInfo)[];
  readonly outputs?: readonly (string | ValueInfo)[];
  readonly initializers?: readonly TensorRef[];
  readonly nodes?: readonly NodeDraft[];
  readonly valueInfo?: readonly ValueInfo[];
  /** Prefix for assigned ids (subgraphs use their own, e.g. `t` gives `t0, t1`). Default `n`. */
  readonly idPrefix?: string;
}

export function mkGraph(init: GraphInit): Graph {
  const asVi = (v: string | ValueInfo): ValueInfo => (typeof v === 'string' ? vi(v) : v);
  const prefix = init.idPrefix ?? 'n';
  const nodes: Node[] = (init.nodes ?? []).map((d, i) => {
    const id = d.id ?? `${prefix}${i}`;
    return { ...d, id, name: d.name === '' ? id : d.name };
  });
  return {
    name: init.name ?? 'main',
    inputs: (init.inputs ?? []).map(asVi),
    outputs: (init.outputs ?? []).map(asVi),
    initializers: [...(init.initializers ?? [])],
    sparseInitializers: [],
    nodes,
    valueInfo: [...(init.valueInfo ?? [])],
  };
}

export function mkModel(graph: Graph, opts: { opset?: number; irVersion?: number } = {}): Model {
  return {
    irVersion: opts.irVersion ?? 8,
    opsetImports: [{ domain: '', version: opts.opset ?? 17 }],
    graph,
    functions: [],
    metadataProps: [],
  };
}

/** A float32 initializer in raw little-endian layout (values rounded to float32). */
export function floatTensor(name: string, dims: readonly number[], values: readonly number[]): InlineTensor {
  const data = new Uint8Array(values.length * 4);
  const view = new DataView(data.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return { kind: 'inline', name, dtype: DataType.FLOAT, dims: [...dims], data, encoding: 'raw' };
}
