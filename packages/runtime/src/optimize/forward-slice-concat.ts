/**
 * Pass `forward-slice-concat`: a Slice that takes back exactly one input of a Concat along the Concat's axis reads
 * that input instead,
 *
 *   Slice(Concat(a_1, ..., a_n, axis), starts, ends, axes)  ->  a_k   when the slice is [o_k, o_k + d_k) on `axis`
 *
 * with d_j the inputs' (statically inferred) sizes along `axis` and o_k = d_1 + ... + d_(k-1). Detection heads split
 * what they just concatenated (ultraface's boxes: Concat(centers, sizes) -> Slice [0:2] and Slice [2:4]); the
 * Concat, once no Slice reads it, goes by dead-code elimination. Exact: the slice's elements are a_k's elements, in
 * order, and its shape is a_k's (every other axis is taken whole).
 *
 * Preconditions: one sliced axis, step 1 (steps absent or 1), constant starts/ends/axes (attributes before opset 10);
 * the Concat's input sizes along its axis known numbers (onnx-ir's inferShapes, run on the graph as this pass sees it;
 * a graph whose shapes do not infer is left alone); d_k > 0; the Slice output may disappear (not a graph output,
 * not kept). Bounds are read as Slice reads them: negative values count from the end, then clamp to [0, D].
 * Identity rule: nothing forwarded -> the same model back.
 */
import { attrInt, editGraph, graphIndex, inferShapes, normalizeDomain } from '@lowbit/onnx-ir';
import type { Model, Node, Pass, PassContext } from '@lowbit/onnx-ir';
import { Constants, isOp, onnxOpset, passOptions, removable, resultOfGraph } from './support.js';

export const forwardSliceConcat: Pass = {
  name: 'forward-slice-concat',
  run(m: Model, ctx: PassContext) {
    const idx = graphIndex(m.graph);
    const candidates = m.graph.nodes.filter((s) => isOp(s, 'Slice') && s.inputs[0] && isOp(idx.producer(s.inputs[0])?.node, 'Concat'));
    if (candidates.length === 0) return { model: m, modified: false };
    const opts = passOptions(ctx);
    const consts = new Constants(m.graph);
    const opset = onnxOpset(m);
    let shapes: ReturnType<typeof inferShapes>['shapes'];
    try {
      shapes = inferShapes(m.graph, { opsetOf: (n) => (normalizeDomain(n.domain) === '' ? opset : 1) }).shapes;
    } catch {
      return { model: m, modified: false }; // shapes that conflict: the session reports them
    }
    const forwards: [Node, string][] = [];
    for (const s of candidates) {
      const y = s.outputs[0];
      if (!y || !removable(m.graph, opts, y)) continue;
      const concat = idx.producer(s.inputs[0]!)!.node;
      const rank = shapes.get(concat.inputs[0] ?? '')?.length;
      if (rank === undefined || rank === 0) continue;
      const sizes = concat.inputs.map((v) => (v ? shapes.get(v)?.[norm(attrInt(concat, 'axis', 0), rank)] : undefined));
      if (!sizes.every((d): d is number => typeof d === 'number')) continue;
      const bounds = sliceBounds(s, consts, opset);
      if (!bounds || bounds.axes.length !== 1) continue;
      const axis = norm(attrInt(concat, 'axis', 0), rank);
      if (norm(bounds.axes[0], rank) !== axis) continue;
      const total = sizes.reduce((a, b) => a + b, 0);
      const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + total : v, 0), total);
      const b = clamp(bounds.starts[0]);
      const e = clamp(bounds.ends[0]);
      let o = 0;
      for (let k = 0; k < sizes.length; k++) {
        if (sizes[k] > 0 && b === o && e === o + sizes[k]) {
          forwards.push([s, concat.inputs[k]!]);
          break;
        }
        o += sizes[k];
      }
    }
    if (forwards.length === 0) return { model: m, modified: false };
    const g = editGraph(m.graph, (e) => {
      for (const [s, a] of forwards) {
        e.replaceAllUses(s.outputs[0]!, a, { graphOutputs: false });
        e.removeNode(s);
        e.removeValueInfo(s.outputs[0]!);
      }
    });
    return resultOfGraph(m, g);
  },
};

const norm = (a: number, rank: number) => (a < 0 ? a + rank : a);

/** Constant starts, ends and axes of a step-1 Slice (attributes before opset 10), or undefined. */
function sliceBounds(s: Node, c: Constants, opset: number): { starts: number[]; ends: number[]; axes: number[] } | undefined {
  if (opset < 10) {
    // Read as plain numbers: "to the end" is often INT64_MAX, beyond the safe integers attrInts accepts (clamped anyway).
    const ints = (name: string) => { const a = s.attributes.find((x) => x.name === name); return a?.type === 'ints' ? a.value.map(Number) : undefined; };
    const starts = ints('starts');
    const ends = ints('ends');
    if (!starts || !ends || starts.length !== ends.length) return undefined;
    const axes = ints('axes') ?? starts.map((_, i) => i);
    return axes.length === starts.length ? { starts, ends, axes } : undefined;
  }
  const starts = c.numbers(s.inputs[1]);
  const ends = c.numbers(s.inputs[2]);
  if (!starts || !ends || starts.length !== ends.length) return undefined;
  const axes = s.inputs[3] ? c.numbers(s.inputs[3]) : starts.map((_, i) => i);
  if (!axes || axes.length !== starts.length) return undefined;
  if (s.inputs[4]) {
    const steps = c.numbers(s.inputs[4]);
    if (!steps || steps.length !== starts.length || steps.some((v) => v !== 1)) return undefined;
  }
  return { starts, ends, axes };
}
