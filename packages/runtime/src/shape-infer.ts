/**
 * Static shape inference over the main graph, once per session: each value's dims as far as they follow from the
 * declared input shapes, initializers and Constant nodes. A dim is a number, a symbol (a dim_param carried through
 * unchanged) or null (unknown); a value whose rank is unknown has no entry.
 *
 * Small integer tensors (shapes, axes, indices: at most 64 elements) are also folded along Shape, Gather, Concat,
 * Unsqueeze, Squeeze, Slice, Cast and integer arithmetic, so PyTorch-style `Shape -> Gather -> Concat -> Reshape`
 * chains resolve.
 *
 * Conflicts between known numbers (broadcasting 3 against 4, a MatMul/Gemm inner dimension, Concat's other axes,
 * a Reshape that changes the element count, Conv channels) are reported at session creation as `ShapeConflict`,
 * turned into a NodeError by the plan. Ops without a rule leave their outputs unknown; nothing is guessed.
 */
import { isDefaultDomain } from '@lowbit/onnx-ir';
import type { AttrValue, Tensor } from '@lowbit/kernels';
import type { Graph, Node } from '@lowbit/onnx-ir';
import { MAX_CONST, ruleFor, ShapeConflict, type Ctx, type Out, type Shape } from './shape-rules.js';

export { broadcastShapes, ShapeConflict } from './shape-rules.js';
export type { Shape } from './shape-rules.js';

function smallInts(t: Tensor): number[] | undefined {
  if (t.size > MAX_CONST || !['int64', 'int32', 'int16', 'int8', 'uint8', 'uint16', 'uint32'].includes(t.dtype)) return undefined;
  return Array.from(t.data as ArrayLike<number | bigint>, Number);
}

function constantInfo(attrs: ReadonlyMap<string, AttrValue>): { shape: Shape; ints?: number[] } | undefined {
  const v = attrs.get('value') ?? attrs.get('sparse_value');
  if (v && typeof v === 'object' && 'dims' in v) return { shape: (v as Tensor).dims, ints: smallInts(v as Tensor) };
  const i = attrs.get('value_int');
  if (i !== undefined) return { shape: [], ints: [Number(i)] };
  const is = attrs.get('value_ints');
  if (Array.isArray(is)) return { shape: [is.length], ints: is.length <= MAX_CONST ? (is as (number | bigint)[]).map(Number) : undefined };
  if (attrs.has('value_float') || attrs.has('value_string')) return { shape: [] };
  const fs = attrs.get('value_floats') ?? attrs.get('value_strings');
  if (Array.isArray(fs)) return { shape: [fs.length] };
  return undefined;
}

export interface InferredShapes {
  readonly shapes: Map<string, Shape>;
  readonly consts: Map<string, number[]>;
}


/**
 * Infers shapes for `graph` (main graph, default domain ops). `constants` are the initializers and Constant-node
 * tensors by name; `attrsOf` gives each node's converted attributes. Throws ShapeConflict (with the node) on a
 * contradiction between known dims.
 */
export function inferShapes(graph: Graph, order: readonly Node[], constants: ReadonlyMap<string, Tensor>, attrsOf: (n: Node) => ReadonlyMap<string, AttrValue>, opsetOf: (n: Node) => number): InferredShapes {
  const shapes = new Map<string, Shape>();
  const consts = new Map<string, number[]>();
  for (const v of graph.inputs) if (v.type?.kind === 'tensor' && v.type.shape) shapes.set(v.name, v.type.shape);
  for (const [name, t] of constants) {
    shapes.set(name, t.dims);
    const ints = smallInts(t);
    if (ints) consts.set(name, ints);
  }
  for (const node of order) {
    if (!isDefaultDomain(node.domain)) continue;
    if (node.opType === 'Constant') {
      const k = constantInfo(attrsOf(node));
      if (k && node.outputs[0]) {
        shapes.set(node.outputs[0], k.shape);
        if (k.ints) consts.set(node.outputs[0], k.ints);
      }
      continue;
    }
    const c: Ctx = {
      node, attrs: attrsOf(node), opset: opsetOf(node),
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
    if (!out) continue;
    node.outputs.forEach((o, i) => {
      if (!o) return;
      const s = out!.shapes[i];
      if (s) shapes.set(o, s);
      const k = out!.consts?.[i];
      if (k && k.length <= MAX_CONST) consts.set(o, k);
    });
  }
  return { shapes, consts };
}
