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
import { DataType } from '@lowbit/onnx-ir';
import type { Attr, Graph, Node } from '@lowbit/onnx-ir';
import { findAttr, intAttr, readFloat, readFloats, readInt, readInts, readString, stringAttr, withoutAttrs } from './attrs.js';
import { RewriteError } from './errors.js';
import { GraphDraft } from './graph-draft.js';
import { onnxOpset, withGraph, withOpset } from './model-util.js';
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
  const d = new GraphDraft(graph);
  for (const node of [...d.nodes]) {
    if (node.domain !== '' && node.domain !== 'ai.onnx') continue;
    convertNode(d, node, from, to);
  }
  for (const node of [...d.nodes]) {
    if (!node.attributes.some((a) => a.type === 'graph' || a.type === 'graphs')) continue;
    const attributes = node.attributes.map((a): Attr => {
      if (a.type === 'graph') { const g = upgradeGraph(a.value, from, to); return g === a.value ? a : { ...a, value: g }; }
      if (a.type === 'graphs') { const gs = a.value.map((x) => upgradeGraph(x, from, to)); return gs.every((x, i) => x === a.value[i]) ? a : { ...a, value: gs }; }
      return a;
    });
    if (attributes.some((a, i) => a !== node.attributes[i])) d.replaceNode(node, { ...node, attributes });
  }
  return d.build();
}

function int64Init(d: GraphDraft, base: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
  return d.addInit(makeTensor(d.fresh(base), DataType.INT64, dims, values));
}

function rankOf(d: GraphDraft, name: string | null): number | undefined {
  if (!name) return undefined;
  const vi = [...d.inputs, ...d.valueInfo, ...d.outputs].find((v) => v.name === name);
  const t = d.inits.get(name);
  if (t) return t.dims.length;
  if (vi?.type?.kind === 'tensor' && vi.type.shape) return vi.type.shape.length;
  return undefined;
}

function convertNode(d: GraphDraft, node: Node, from: number, to: number): void {
  const op = node.opType;
  const at = (v: number): boolean => crosses(from, to, v);
  const set = (patch: Partial<Node>): void => d.replaceNode(node, { ...node, ...patch });
  if (op === 'Clip' && at(11)) {
    const hasMin = findAttr(node, 'min') !== undefined;
    const hasMax = findAttr(node, 'max') !== undefined;
    const inputs: (string | null)[] = [node.inputs[0]];
    inputs.push(hasMin ? d.addInit(floatTensor(d.fresh(`${node.name}_min`), [], [readFloat(node, 'min', 0)])) : null);
    if (hasMax) inputs.push(d.addInit(floatTensor(d.fresh(`${node.name}_max`), [], [readFloat(node, 'max', 0)])));
    set({ inputs: trimNulls(inputs), attributes: withoutAttrs(node.attributes, 'min', 'max') });
  } else if (op === 'Slice' && at(10)) {
    const starts = readInts(node, 'starts') ?? [];
    const ends = readInts(node, 'ends') ?? [];
    const axes = readInts(node, 'axes');
    const inputs = [node.inputs[0], int64Init(d, `${node.name}_starts`, starts), int64Init(d, `${node.name}_ends`, ends)];
    if (axes) inputs.push(int64Init(d, `${node.name}_axes`, axes));
    set({ inputs, attributes: withoutAttrs(node.attributes, 'starts', 'ends', 'axes') });
  } else if (op === 'Pad' && at(11)) {
    const pads = readInts(node, 'pads') ?? readInts(node, 'paddings') ?? [];
    const value = readFloat(node, 'value', 0);
    const inputs = [node.inputs[0], int64Init(d, `${node.name}_pads`, pads)];
    if (value !== 0) inputs.push(d.addInit(floatTensor(d.fresh(`${node.name}_value`), [], [value])));
    set({ inputs, attributes: withoutAttrs(node.attributes, 'pads', 'paddings', 'value') });
  } else if (op === 'TopK' && at(10)) {
    set({ inputs: [node.inputs[0], int64Init(d, `${node.name}_k`, [readInt(node, 'k', 1)])], attributes: withoutAttrs(node.attributes, 'k') });
  } else if ((op === 'Squeeze' || op === 'Unsqueeze' || op === 'ReduceSum') && at(13)) {
    moveAxes(d, node, 'axes');
  } else if (REDUCE_18.includes(op) && at(18)) {
    moveAxes(d, node, 'axes');
  } else if (op === 'Split' && at(13)) {
    const split = readInts(node, 'split');
    set({ inputs: split ? [node.inputs[0], int64Init(d, `${node.name}_split`, split)] : node.inputs, attributes: withoutAttrs(node.attributes, 'split') });
  } else if ((op === 'Softmax' || op === 'LogSoftmax' || op === 'Hardmax') && at(13)) {
    upgradeSoftmax(d, node);
  } else if (op === 'Upsample' && to >= 10) {
    upsampleToResize(d, node, from);
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
      const used = outputs.slice(1).filter((o) => o && (d.consumers(o).length > 0 || d.isGraphOutput(o)));
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

function moveAxes(d: GraphDraft, node: Node, attr: string): void {
  const axes = readInts(node, attr);
  const inputs: (string | null)[] = [node.inputs[0]];
  if (axes) inputs.push(int64Init(d, `${node.name}_${attr}`, axes));
  d.replaceNode(node, { ...node, inputs, attributes: withoutAttrs(node.attributes, attr) });
}

function upgradeSoftmax(d: GraphDraft, node: Node): void {
  const axis = readInt(node, 'axis', 1);
  const rank = rankOf(d, node.inputs[0]);
  const norm = axis < 0 && rank !== undefined ? axis + rank : axis;
  if (rank !== undefined && norm === rank - 1) {
    d.replaceNode(node, { ...node, attributes: [...withoutAttrs(node.attributes, 'axis'), intAttr('axis', norm)] });
    return;
  }
  // Old semantics: flatten to 2-D at `axis`, normalize over dim 1, restore the shape.
  const x = node.inputs[0]!;
  const y = node.outputs[0]!;
  const shape = d.fresh(`${node.name}_shape`);
  const flat = d.fresh(`${node.name}_flat`);
  const soft = d.fresh(`${node.name}_2d`);
  d.removeNode(node);
  d.addNode({ opType: 'Shape', inputs: [x], outputs: [shape], name: `${node.name}_shape` });
  d.addNode({ opType: 'Flatten', inputs: [x], outputs: [flat], attributes: [intAttr('axis', axis)], name: `${node.name}_flatten` });
  d.addNode({ opType: node.opType, inputs: [flat], outputs: [soft], attributes: [intAttr('axis', 1)], name: node.name });
  d.addNode({ opType: 'Reshape', inputs: [soft, shape], outputs: [y], name: `${node.name}_reshape` });
}

function upsampleToResize(d: GraphDraft, node: Node, from: number): void {
  const mode = readString(node, 'mode', 'nearest');
  let scales: string;
  if (from < 9 || node.inputs.length < 2) {
    const s = readFloats(node, 'scales') ?? [];
    scales = d.addInit(floatTensor(d.fresh(`${node.name}_scales`), [s.length], s));
  } else {
    scales = node.inputs[1]!;
  }
  const attrs = [
    stringAttr('mode', mode === 'nearest' ? 'nearest' : 'linear'),
    stringAttr('coordinate_transformation_mode', 'asymmetric'),
    ...(mode === 'nearest' ? [stringAttr('nearest_mode', 'floor')] : []),
  ];
  d.replaceNode(node, { ...node, opType: 'Resize', inputs: [node.inputs[0], null, scales], attributes: attrs });
}
