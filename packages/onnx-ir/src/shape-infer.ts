/**
 * Static shape and element-type inference over one graph: each value's dims and element type as far as they follow
 * from the declared input types, initializers and Constant nodes. A dim is a number, a symbol (a dim_param carried
 * through unchanged) or null (unknown); a value whose rank is unknown has no shape entry. The one engine both the
 * runtime (plans, at session creation) and the rewriters (the `shape-inference` preprocessing pass) use.
 *
 * Small integer tensors (shapes, axes, indices: at most MAX_CONST elements) are also folded along Shape, Gather,
 * Concat, Unsqueeze, Squeeze, Slice, Cast and integer arithmetic, so PyTorch-style `Shape -> Gather -> Concat ->
 * Reshape` chains resolve.
 *
 * Conflicts between known numbers (broadcasting 3 against 4, a MatMul/Gemm inner dimension, Concat's other axes,
 * a Reshape that changes the element count, Conv channels) throw `ShapeConflict` with the node attached; callers
 * turn it into a NodeError. Ops without a rule leave their outputs unknown; nothing is guessed.
 */
import { getAttr } from './attrs.js';
import { ShapeConflict, type Shape } from './broadcast.js';
import { isDefaultDomain } from './domain.js';
import { elementCount } from './dtype.js';
import { outputElemTypes } from './elem-type-rules.js';
import { MAX_CONST, ruleFor, type Ctx, type Out } from './shape-rules.js';
import { tensorValuesSync } from './tensor-store.js';
import { DataType, type Graph, type Node, type TensorRef } from './types.js';

/** A tensor whose value is fixed before run time (an initializer, or a Constant the caller already has). */
export interface KnownTensor {
  readonly dims: readonly number[];
  readonly dtype: DataType;
  /** The elements, when the caller has them; small integer tensors among them are folded. */
  readonly data?: ArrayLike<number | bigint>;
}

export interface InferShapesOptions {
  /** Node order (default: graph.nodes, which the IR keeps topologically sorted). */
  readonly order?: readonly Node[];
  /** Fixed tensors by name (default: the graph's initializers, elements read from inline data only). */
  readonly constants?: ReadonlyMap<string, KnownTensor>;
  /** The opset of each node's domain. */
  readonly opsetOf: (n: Node) => number;
}

export interface InferredShapes {
  readonly shapes: Map<string, Shape>;
  /** Folded small integer tensors (values of shape computations) by name. */
  readonly consts: Map<string, number[]>;
  readonly elemTypes: Map<string, DataType>;
}

/** A thrown ShapeConflict carries the node whose rule found it. */
export type NodeShapeConflict = ShapeConflict & { readonly node: Node };

const INT_TYPES: ReadonlySet<DataType> = new Set<DataType>([DataType.INT64, DataType.INT32, DataType.INT16, DataType.INT8, DataType.UINT8, DataType.UINT16, DataType.UINT32]);

function smallInts(t: KnownTensor): number[] | undefined {
  if (!t.data || !INT_TYPES.has(t.dtype) || elementCount(t.dims) > MAX_CONST) return undefined;
  return Array.from(t.data, Number);
}

/** Dims, type and (for small inline integer tensors) elements of a TensorRef, without I/O. */
function knownFromRef(t: TensorRef): KnownTensor {
  if (t.kind !== 'inline' || !INT_TYPES.has(t.dtype) || elementCount(t.dims) > MAX_CONST) return { dims: t.dims, dtype: t.dtype };
  return { dims: t.dims, dtype: t.dtype, data: tensorValuesSync(t).data as ArrayLike<number | bigint> };
}

/** The value of a Constant node (dims, type, small integer elements). */
function constantNode(node: Node): KnownTensor | undefined {
  for (const a of node.attributes) {
    switch (a.type) {
      case 'tensor': if (a.name === 'value') return knownFromRef(a.value); break;
      case 'sparse-tensor': if (a.name === 'sparse_value') return { dims: a.value.dims, dtype: a.value.values.dtype }; break;
      case 'int': if (a.name === 'value_int') return { dims: [], dtype: DataType.INT64, data: [a.value] }; break;
      case 'ints': if (a.name === 'value_ints') return { dims: [a.value.length], dtype: DataType.INT64, data: a.value }; break;
      case 'float': if (a.name === 'value_float') return { dims: [], dtype: DataType.FLOAT }; break;
      case 'floats': if (a.name === 'value_floats') return { dims: [a.value.length], dtype: DataType.FLOAT }; break;
      case 'string': if (a.name === 'value_string') return { dims: [], dtype: DataType.STRING }; break;
      case 'strings': if (a.name === 'value_strings') return { dims: [a.value.length], dtype: DataType.STRING }; break;
      default: break;
    }
  }
  return undefined;
}

/**
 * Infers shapes and element types for `graph` (default-domain ops; others leave their outputs unknown). Nodes in
 * subgraphs are not visited. Throws ShapeConflict (a NodeShapeConflict, with the node) on a contradiction between
 * known dims, or when a rule trips over a malformed node.
 */
export function inferShapes(graph: Graph, options: InferShapesOptions): InferredShapes {
  const shapes = new Map<string, Shape>();
  const consts = new Map<string, number[]>();
  const elemTypes = new Map<string, DataType>();
  for (const v of graph.inputs) {
    if (v.type?.kind !== 'tensor') continue;
    if (v.type.shape) shapes.set(v.name, v.type.shape);
    if (v.type.elemType !== DataType.UNDEFINED) elemTypes.set(v.name, v.type.elemType);
  }
  const known = (name: string, t: KnownTensor): void => {
    shapes.set(name, t.dims);
    elemTypes.set(name, t.dtype);
    const ints = smallInts(t);
    if (ints) consts.set(name, ints);
  };
  if (options.constants) for (const [name, t] of options.constants) known(name, t);
  else for (const t of graph.initializers) known(t.name, knownFromRef(t));
  for (const node of options.order ?? graph.nodes) {
    if (!isDefaultDomain(node.domain)) {
      outputElemTypes(node, node.inputs.map((i) => (i ? elemTypes.get(i) : undefined))).forEach((t, k) => {
        const o = node.outputs[k];
        if (o && t !== undefined) elemTypes.set(o, t);
      });
      continue;
    }
    if (node.opType === 'Constant') {
      const k = constantNode(node);
      if (k && node.outputs[0]) known(node.outputs[0], k);
      continue;
    }
    const c: Ctx = {
      node, opset: options.opsetOf(node),
      shapes: node.inputs.map((i) => (i ? shapes.get(i) : undefined)),
      consts: node.inputs.map((i) => (i ? consts.get(i) : undefined)),
    };
    let out: Out | undefined;
    try {
      out = ruleFor(c);
    } catch (e) {
      if (e instanceof ShapeConflict) throw Object.assign(e, { node });
      // A rule that trips over a malformed node (missing inputs, odd attributes) is that node's defect, reported
      // with the node like any other shape conflict, never as a bare TypeError.
      throw Object.assign(new ShapeConflict(`malformed node: ${e instanceof Error ? e.message : String(e)}`), { node });
    }
    const types = outputElemTypes(node, node.inputs.map((i) => (i ? elemTypes.get(i) : undefined)));
    node.outputs.forEach((o, i) => {
      if (!o) return;
      if (types[i] !== undefined) elemTypes.set(o, types[i]!);
      const s = out?.shapes[i];
      if (s) shapes.set(o, s);
      const k = out?.consts?.[i];
      if (k && k.length <= MAX_CONST) consts.set(o, k);
    });
  }
  return { shapes, consts, elemTypes };
}
