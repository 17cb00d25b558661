/**
 * Visiting and replacing every TensorRef of a model: graph initializers, sparse initializers, tensor attributes
 * (Constant values and the like), in subgraphs and function bodies too. Replacement rebuilds only the objects on the
 * path to a changed tensor; everything else is shared.
 */
import type { Attr, FunctionDef, Graph, Model, Node, SparseTensor, TensorRef } from './types.js';

/** Every TensorRef in the model, each object once, in encoding order. */
export function collectModelTensors(model: Model): TensorRef[] {
  const seen = new Set<TensorRef>();
  const out: TensorRef[] = [];
  const add = (t: TensorRef): TensorRef => {
    if (!seen.has(t)) {
      seen.add(t);
      out.push(t);
    }
    return t;
  };
  mapModelTensors(model, add);
  return out;
}

/** The model with each TensorRef replaced by `fn(t)`; the same model object when `fn` changes nothing. */
export function mapModelTensors(model: Model, fn: (t: TensorRef) => TensorRef): Model {
  const sparse = (s: SparseTensor): SparseTensor => {
    const values = fn(s.values);
    const indices = fn(s.indices);
    return values === s.values && indices === s.indices ? s : { ...s, values, indices };
  };
  const list = <T>(xs: readonly T[], f: (x: T) => T): readonly T[] => {
    let changed = false;
    const ys = xs.map((x) => {
      const y = f(x);
      if (y !== x) changed = true;
      return y;
    });
    return changed ? ys : xs;
  };
  const attr = (a: Attr): Attr => {
    switch (a.type) {
      case 'tensor': { const v = fn(a.value); return v === a.value ? a : { ...a, value: v }; }
      case 'tensors': { const v = list(a.value, fn); return v === a.value ? a : { ...a, value: v }; }
      case 'graph': { const v = graph(a.value); return v === a.value ? a : { ...a, value: v }; }
      case 'graphs': { const v = list(a.value, graph); return v === a.value ? a : { ...a, value: v }; }
      case 'sparse-tensor': { const v = sparse(a.value); return v === a.value ? a : { ...a, value: v }; }
      case 'sparse-tensors': { const v = list(a.value, sparse); return v === a.value ? a : { ...a, value: v }; }
      default: return a;
    }
  };
  const node = (n: Node): Node => {
    const attributes = list(n.attributes, attr);
    return attributes === n.attributes ? n : { ...n, attributes };
  };
  function graph(g: Graph): Graph {
    const initializers = list(g.initializers, fn);
    const sparseInitializers = list(g.sparseInitializers, sparse);
    const nodes = list(g.nodes, node);
    if (initializers === g.initializers && sparseInitializers === g.sparseInitializers && nodes === g.nodes) return g;
    return { ...g, initializers, sparseInitializers, nodes };
  }
  const func = (f: FunctionDef): FunctionDef => {
    const nodes = list(f.nodes, node);
    const attributeProtos = list(f.attributeProtos, attr);
    return nodes === f.nodes && attributeProtos === f.attributeProtos ? f : { ...f, nodes, attributeProtos };
  };
  const g = graph(model.graph);
  const functions = list(model.functions, func);
  return g === model.graph && functions === model.functions ? model : { ...model, graph: g, functions };
}
