/**
 * Pass `opset-upgrade`: raises the default-domain opset of a model (e.g. mnist-8 at opset 8 to 13 for per-channel
 * QuantizeLinear, or to 21 for blocked/int4) and rewrites the nodes whose signature changed on the way:
 *
 * | op | changed at | rewrite |
 * |---|---|---|
 * | Clip | 11 | `min`/`max` attributes become float32 scalar inputs |
 * | Slice | 10 | `starts`/`ends`/`axes` attributes become int64 inputs |
 * | Pad | 11 | `pads`/`value` attributes become inputs |
 * | TopK | 10 | `k` attribute becomes an int64 `[1]` input |
 * | Squeeze, Unsqueeze, Split, ReduceSum | 13 | `axes`/`split` attributes become int64 inputs |
 * | ReduceMean/Max/Min/Prod/L1/L2/LogSum/LogSumExp/SumSquare | 18 | `axes` attribute becomes an input |
 * | Softmax, LogSoftmax, Hardmax | 13 | old "coerce to 2-D at axis" semantics kept exactly: when the axis is the last one (rank known) only `axis` is set, otherwise `Shape`, `Flatten(axis)`, op(axis=1), `Reshape` |
 * | Upsample | 10 (deprecated) | `Resize` with `coordinate_transformation_mode=asymmetric` (Upsample's `x_in = x_out / scale`), nearest with `nearest_mode=floor` |
 * | Resize | 11 | opset-10 Resize gets an empty `roi` input and asymmetric coordinates |
 * | Dropout | 12 | `ratio`/`is_test` attributes dropped (inference: Dropout is the identity) |
 * | BatchNormalization | 9, 14 | `spatial`/`is_test`/`consumed_inputs` dropped; unused training outputs removed |
 * | Scatter | 11 (deprecated) | `ScatterElements` |
 * | Gemm | 7 | `broadcast` dropped |
 *
 * Nodes inside subgraphs (If/Loop/Scan bodies) are converted too. Models below opset 7 are rejected (their broadcasting rules differ per node). Other ops are assumed compatible.
 * Identity rule: a model already at or above the target opset comes back as the same object.
 */
import { DataType, editGraph, graphIndex, isDefaultDomain, mapSubgraphs } from '@lowbit/onnx-ir';
import type { Graph, GraphEditor, Node } from '@lowbit/onnx-ir';
import { findAttr, intAttr, readFloat, readFloats, readInt, readInts, readString, stringAttr, withoutAttrs } from './attrs.js';
import { RewriteError } from './errors.js';
import { tidyGraph } from './edit-support.js';
import { onnxOpset, withGraph, withOpset } from './model-opset.js';
import { result, type RewritePass } from './pass-contract.js';
import { floatTensor, makeTensor } from './tensor-data.js';

const PASS = 'opset-upgrade';
const REDUCE_18 = ['ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare'];

export interface OpsetUpgradeOptions {
  /** Default-domain opset to reach (7..23). */
  readonly targetOpset: number;
}

export function opsetUpgrade(options: OpsetUpgradeOptions): RewritePass {
  const target = options.targetOpset;
  return {
    name: PASS,
    requires(m) {
      const from = onnxOpset(m);
      if (from < target && from < 7) throw new RewriteError({ pass: PASS, expected: 'opset >= 7', actual: `opset ${from}` }, 'cannot upgrade a model this old');
      if (target > 23 || target < 7) throw new RewriteError({ pass: PASS, expected: '7..23', actual: String(target) }, 'unsupported target opset');
    },
    run(m, ctx) {
      const from = onnxOpset(m);
      if (from >= target) return result(m, m);
      this.requires?.(m, ctx);
      return result(m, withOpset(withGraph(m, upgradeGraph(m.graph, from, target)), target));
    },
  };
}

const crosses = (from: number, to: number, at: number): boolean => from < at && to >= at;

/** Converts the nodes of `graph` and, recursively, of the subgraphs in its nodes' attributes (If/Loop/Scan bodies). */
function upgradeGraph(graph: Graph, from: number, to: number): Graph {
  const edited = editGraph(graph, (e) => {
    for (const node of graph.nodes) {
      if (!isDefaultDomain(node.domain)) continue;
      convertNode(e, graph, node, from, to);
    }
    for (const node of e.nodes()) {
      const next = mapSubgraphs(node, (g) => upgradeGraph(g, from, to));
      if (next !== node) e.updateNode(node, { attributes: next.attributes });
    }
  });
  return tidyGraph(graph, edited);
}

function int64Init(e: GraphEditor, base: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
  const t = makeTensor(e.freshName(base), DataType.INT64, dims, values);
  e.addInitializer(t);
  return t.name;
}

function floatInit(e: GraphEditor, base: string, values: readonly number[], dims: readonly number[]): string {
  const t = floatTensor(e.freshName(base), dims, values);
  e.addInitializer(t);
  return t.name;
}

/** Rank of a value of the graph being upgraded, from its initializer or declared type. */
function rankOf(graph: Graph, name: string | null): number | undefined {
  if (!name) return undefined;
  const idx = graphIndex(graph);
  const t = idx.initializer(name);
  if (t) return t.dims.length;
  const vi = idx.input(name) ?? idx.valueInfo(name) ?? graph.outputs.find((v) => v.name === name);
  if (vi?.type?.kind === 'tensor' && vi.type.shape) return vi.type.shape.length;
  return undefined;
}

function convertNode(e: GraphEditor, graph: Graph, node: Node, from: number, to: number): void {
  const op = node.opType;
  const at = (v: number): boolean => crosses(from, to, v);
  const set = (patch: Partial<Omit<Node, 'id'>>): void => { e.updateNode(node, patch); };
  if (op === 'Clip' && at(11)) {
    const hasMin = findAttr(node, 'min') !== undefined;
    const hasMax = findAttr(node, 'max') !== undefined;
    const inputs: (string | null)[] = [node.inputs[0]];
    inputs.push(hasMin ? floatInit(e, `${node.name}_min`, [readFloat(node, 'min', 0)], []) : null);
    if (hasMax) inputs.push(floatInit(e, `${node.name}_max`, [readFloat(node, 'max', 0)], []));
    set({ inputs: trimNulls(inputs), attributes: withoutAttrs(node.attributes, 'min', 'max') });
  } else if (op === 'Slice' && at(10)) {
    const starts = readInts(node, 'starts') ?? [];
    const ends = readInts(node, 'ends') ?? [];
    const axes = readInts(node, 'axes');
    const inputs = [node.inputs[0], int64Init(e, `${node.name}_starts`, starts), int64Init(e, `${node.name}_ends`, ends)];
    if (axes) inputs.push(int64Init(e, `${node.name}_axes`, axes));
    set({ inputs, attributes: withoutAttrs(node.attributes, 'starts', 'ends', 'axes') });
  } else if (op === 'Pad' && at(11)) {
    const pads = readInts(node, 'pads') ?? readInts(node, 'paddings') ?? [];
    const value = readFloat(node, 'value', 0);
    const inputs = [node.inputs[0], int64Init(e, `${node.name}_pads`, pads)];
    if (value !== 0) inputs.push(floatInit(e, `${node.name}_value`, [value], []));
    set({ inputs, attributes: withoutAttrs(node.attributes, 'pads', 'paddings', 'value') });
  } else if (op === 'TopK' && at(10)) {
    set({ inputs: [node.inputs[0], int64Init(e, `${node.name}_k`, [readInt(node, 'k', 1)])], attributes: withoutAttrs(node.attributes, 'k') });
  } else if ((op === 'Squeeze' || op === 'Unsqueeze' || op === 'ReduceSum') && at(13)) {
    moveAxes(e, node, 'axes');
  } else if (REDUCE_18.includes(op) && at(18)) {
    moveAxes(e, node, 'axes');
  } else if (op === 'Split' && at(13)) {
    const split = readInts(node, 'split');
    set({ inputs: split ? [node.inputs[0], int64Init(e, `${node.name}_split`, split)] : node.inputs, attributes: withoutAttrs(node.attributes, 'split') });
  } else if ((op === 'Softmax' || op === 'LogSoftmax' || op === 'Hardmax') && at(13)) {
    upgradeSoftmax(e, graph, node);
  } else if (op === 'Upsample' && to >= 10) {
    upsampleToResize(e, node, from);
  } else if (op === 'Resize' && at(11)) {
    const mode = readString(node, 'mode', 'nearest');
    const attrs = [...node.attributes, stringAttr('coordinate_transformation_mode', 'asymmetric')];
    if (mode === 'nearest') attrs.push(stringAttr('nearest_mode', 'floor'));
    set({ inputs: [node.inputs[0], null, node.inputs[1]], attributes: attrs });
  } else if (op === 'Dropout' && at(12)) {
    set({ attributes: withoutAttrs(node.attributes, 'ratio', 'is_test') });
  } else if (op === 'BatchNormalization' && (at(9) || at(14))) {
    let outputs = [...node.outputs];
    if (to >= 14) {
      const used = outputs.slice(1).filter((o) => o && (e.users(o).length > 0 || graphIndex(graph).isGraphOutput(o)));
      if (used.length > 0) throw new RewriteError({ pass: PASS, nodeName: node.name, opType: op, actual: used.join(', ') }, 'training outputs of BatchNormalization are used; cannot upgrade to opset 14+');
      outputs = outputs.slice(0, 1);
    }
    set({ outputs, attributes: withoutAttrs(node.attributes, 'spatial', 'is_test', 'consumed_inputs') });
  } else if (op === 'Scatter' && to >= 11) {
    set({ opType: 'ScatterElements' });
  } else if (op === 'Gemm' && at(7)) {
    set({ attributes: withoutAttrs(node.attributes, 'broadcast') });
  }
}

function trimNulls(xs: (string | null)[]): (string | null)[] {
  const out = [...xs];
  while (out.length > 1 && out[out.length - 1] === null) out.pop();
  return out;
}

function moveAxes(e: GraphEditor, node: Node, attr: string): void {
  const axes = readInts(node, attr);
  const inputs: (string | null)[] = [node.inputs[0]];
  if (axes) inputs.push(int64Init(e, `${node.name}_${attr}`, axes));
  e.updateNode(node, { inputs, attributes: withoutAttrs(node.attributes, attr) });
}

function upgradeSoftmax(e: GraphEditor, graph: Graph, node: Node): void {
  const axis = readInt(node, 'axis', 1);
  const rank = rankOf(graph, node.inputs[0]);
  const norm = axis < 0 && rank !== undefined ? axis + rank : axis;
  if (rank !== undefined && norm === rank - 1) {
    e.updateNode(node, { attributes: [...withoutAttrs(node.attributes, 'axis'), intAttr('axis', norm)] });
    return;
  }
  // Old semantics: flatten to 2-D at `axis`, normalize over dim 1, restore the shape.
  const x = node.inputs[0]!;
  const y = node.outputs[0]!;
  const shape = e.freshName(`${node.name}_shape`);
  const flat = e.freshName(`${node.name}_flat`);
  const soft = e.freshName(`${node.name}_2d`);
  // The chain takes the node's place; the normalizing op is named after the node (unnamed stays unnamed).
  e.insertBefore(node, { opType: 'Shape', inputs: [x], outputs: [shape], name: e.freshName(`${node.name}_shape`) });
  e.insertBefore(node, { opType: 'Flatten', inputs: [x], outputs: [flat], attributes: [intAttr('axis', axis)], name: e.freshName(`${node.name}_flatten`) });
  e.insertBefore(node, { opType: node.opType, inputs: [flat], outputs: [soft], attributes: [intAttr('axis', 1)], name: node.name === '' ? '' : e.freshName(node.name) });
  e.replaceNode(node, { opType: 'Reshape', inputs: [soft, shape], outputs: [y], name: e.freshName(`${node.name}_reshape`) });
}

function upsampleToResize(e: GraphEditor, node: Node, from: number): void {
  const mode = readString(node, 'mode', 'nearest');
  let scales: string;
  if (from < 9 || node.inputs.length < 2) {
    const s = readFloats(node, 'scales') ?? [];
    scales = floatInit(e, `${node.name}_scales`, s, [s.length]);
  } else {
    scales = node.inputs[1]!;
  }
  const attrs = [
    stringAttr('mode', mode === 'nearest' ? 'nearest' : 'linear'),
    stringAttr('coordinate_transformation_mode', 'asymmetric'),
    ...(mode === 'nearest' ? [stringAttr('nearest_mode', 'floor')] : []),
  ];
  e.updateNode(node, { opType: 'Resize', inputs: [node.inputs[0], null, scales], attributes: attrs });
}
