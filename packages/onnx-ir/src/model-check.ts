/**
 * checkModel: the loader's guard against hostile or broken model files. A model file is untrusted input, so before
 * anything reads tensor data or builds a plan, the model is held to limits and to the structure ONNX requires.
 * Every failure is a ModelFormatError naming where (`graph "g" > node "loop" > graph "body": initializer "w"`) and
 * what was expected vs found. No file is read here (see loadModel for the external-data range checks).
 *
 * Checked, in every graph, subgraph and function body:
 * - tensors (initializers, sparse initializers, tensor attributes such as Constant values): a known data type, dims
 *   that are non-negative safe integers, an element count within `maxElements` (and a byte size that does not
 *   overflow), inline data of exactly the byte length the dims and dtype need (no zero-padding, no cutting), string
 *   tensors with one string per element, external tensors whose declared `length` matches the dims;
 * - subgraph nesting depth within `maxNestingDepth`;
 * - values defined once (graph inputs, initializers, node outputs; a node output may not redefine a graph input),
 *   node inputs that exist, graph outputs that are defined, no cycles;
 * - string tensors never sit in numeric slots: an initializer whose declared graph-input type differs from its own
 *   dtype, or a string constant read by an arithmetic operator.
 */
import { dataTypeName, isKnownDataType, rawByteLength } from './dtype.js';
import { isDefaultDomain } from './domain.js';
import { ModelFormatError } from './errors.js';
import { subgraphsOf } from './graph-index.js';
import { nodeLabel } from './topo.js';
import { verifyModel } from './verify.js';
import { DataType, type Graph, type Model, type Node, type TensorRef } from './types.js';

/** Limits a loaded model is held to. All are configurable; the defaults suit models up to a few GiB. */
export interface ModelLimits {
  /** Most elements one tensor may have. Default 2^32 - 1. */
  readonly maxElements?: number;
  /** Deepest nesting of subgraphs (If/Loop/Scan bodies inside bodies). Default 32. */
  readonly maxNestingDepth?: number;
}

export const DEFAULT_MODEL_LIMITS: Required<ModelLimits> = { maxElements: 2 ** 32 - 1, maxNestingDepth: 32 };

/** Verifier findings that make a model unusable as input (ordering is not one of them: runtimes sort). */
const STRUCTURAL = new Set(['DUPLICATE_INPUT', 'DUPLICATE_INITIALIZER', 'UNDEFINED_INPUT', 'SSA_REDEFINED', 'UNDEFINED_OUTPUT']);

/** Operators whose inputs are all numeric: a string tensor in any of their slots is a defect. */
const NUMERIC_OPS = new Set([
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'MatMul', 'Gemm', 'Conv', 'ConvTranspose', 'MatMulInteger', 'ConvInteger', 'QLinearConv',
  'QLinearMatMul', 'QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear', 'Relu', 'Sigmoid', 'Tanh', 'Softmax', 'Exp',
  'Log', 'Sqrt', 'Abs', 'Neg', 'BatchNormalization', 'LayerNormalization', 'MaxPool', 'AveragePool', 'GlobalAveragePool',
  'ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'Clip', 'Gelu', 'Erf', 'LSTM', 'GRU', 'RNN', 'PRelu', 'LeakyRelu',
]);

function fail(where: string, message: string): never {
  throw new ModelFormatError(`${where}: ${message}`, { what: 'model', where });
}

/** Element count of `dims`, refusing negative, fractional and overflowing dims. */
function checkedCount(t: TensorRef, where: string, limits: Required<ModelLimits>): number {
  let n = 1;
  for (const d of t.dims) {
    if (!Number.isSafeInteger(d) || d < 0) fail(where, `dims [${t.dims.join(', ')}] are invalid, expected non-negative integers`);
    n *= d;
  }
  if (!Number.isSafeInteger(n) || n > limits.maxElements) {
    fail(where, `dims [${t.dims.join(', ')}] give ${n} elements, more than the limit of ${limits.maxElements}`);
  }
  return n;
}

/** Checks one tensor's dtype, dims and (inline or declared external) byte length. */
export function checkTensor(t: TensorRef, where: string, limits: Required<ModelLimits> = DEFAULT_MODEL_LIMITS): void {
  if (!isKnownDataType(t.dtype)) fail(where, `unknown data type ${t.dtype}, expected an ONNX TensorProto.DataType 1..26`);
  const n = checkedCount(t, where, limits);
  if (t.dtype === DataType.STRING) {
    if (t.kind === 'inline' && (t.strings?.length ?? 0) !== n) fail(where, `${t.strings?.length ?? 0} strings, dims [${t.dims.join(', ')}] need ${n}`);
    return;
  }
  const expected = rawByteLength(t.dtype, n)!;
  const shape = `dims [${t.dims.join(', ')}] of ${dataTypeName(t.dtype)} need ${expected} bytes`;
  if (t.kind === 'inline' && t.data.byteLength !== expected) fail(where, `${t.data.byteLength} bytes of data, ${shape}`);
  if (t.kind === 'external') {
    if (!Number.isSafeInteger(t.offset) || t.offset < 0) fail(where, `external data offset ${t.offset} is invalid`);
    if (t.length !== undefined && t.length !== expected) fail(where, `external data length ${t.length} bytes, ${shape}`);
  }
}

/**
 * Throws a ModelFormatError for the first defect found (see the file comment for the list); returns nothing for a
 * model that may be loaded.
 */
export function checkModel(model: Model, limits: ModelLimits = {}): void {
  const lim: Required<ModelLimits> = { ...DEFAULT_MODEL_LIMITS, ...limits };
  checkGraphTensors(model.graph, `graph "${model.graph.name}"`, 0, lim);
  for (const f of model.functions) {
    for (const n of f.nodes) checkNodeTensors(n, `function "${f.domain}.${f.name}" > node "${nodeLabel(n)}"`, 1, lim);
  }
  const bad = verifyModel(model).filter((d) => d.severity === 'error' && STRUCTURAL.has(d.code));
  if (bad.length > 0) {
    const d = bad[0]!;
    throw new ModelFormatError(`invalid graph: ${d.graph ? `${d.graph}: ` : ''}${d.message}${bad.length > 1 ? ` (and ${bad.length - 1} more)` : ''}`, { what: 'model', where: d.graph ?? 'model' });
  }
  checkAcyclic(model.graph, `graph "${model.graph.name}"`);
}

function checkGraphTensors(g: Graph, where: string, depth: number, lim: Required<ModelLimits>): void {
  if (depth > lim.maxNestingDepth) fail(where, `subgraphs nest ${depth} deep, more than the limit of ${lim.maxNestingDepth}`);
  const declared = new Map(g.inputs.map((i) => [i.name, i.type]));
  const strings = new Set<string>();
  g.initializers.forEach((t, i) => {
    const w = `${where}: initializer[${i}] "${t.name}"`;
    checkTensor(t, w, lim);
    const ty = declared.get(t.name);
    if (ty?.kind === 'tensor' && ty.elemType !== DataType.UNDEFINED && ty.elemType !== t.dtype) {
      fail(w, `holds ${isKnownDataType(ty.elemType) ? dataTypeName(ty.elemType) : ty.elemType} data per the graph input, but the tensor is ${dataTypeName(t.dtype)}`);
    }
    if (t.dtype === DataType.STRING) strings.add(t.name);
  });
  g.sparseInitializers.forEach((s, i) => {
    checkTensor(s.values, `${where}: sparse_initializer[${i}] values`, lim);
    checkTensor(s.indices, `${where}: sparse_initializer[${i}] indices`, lim);
  });
  for (const n of g.nodes) {
    const w = `${where} > node "${nodeLabel(n)}"`;
    checkNodeTensors(n, w, depth, lim);
    if (n.opType === 'Constant') {
      const v = n.attributes.find((a) => a.name === 'value' && a.type === 'tensor');
      if (v?.type === 'tensor' && v.value.dtype === DataType.STRING && n.outputs[0]) strings.add(n.outputs[0]);
    }
    if (isDefaultDomain(n.domain) && NUMERIC_OPS.has(n.opType)) {
      n.inputs.forEach((v, i) => {
        if (v && strings.has(v)) fail(w, `(${n.opType}) input[${i}] "${v}" is a string tensor, expected a numeric one`);
      });
    }
  }
}

function checkNodeTensors(n: Node, where: string, depth: number, lim: Required<ModelLimits>): void {
  for (const a of n.attributes) {
    const w = `${where} attribute "${a.name}"`;
    if (a.type === 'tensor') checkTensor(a.value, w, lim);
    else if (a.type === 'tensors') a.value.forEach((t, i) => checkTensor(t, `${w}[${i}]`, lim));
    else if (a.type === 'sparse-tensor') {
      checkTensor(a.value.values, `${w} values`, lim);
      checkTensor(a.value.indices, `${w} indices`, lim);
    }
  }
  for (const a of n.attributes) {
    const graphs = a.type === 'graph' ? [a.value] : a.type === 'graphs' ? a.value : [];
    graphs.forEach((sg, k) => checkGraphTensors(sg, `${where} > graph "${a.type === 'graphs' ? `${a.name}[${k}]` : a.name}"`, depth + 1, lim));
  }
}

/** Kahn's algorithm over the graph's own values; a node left over sits on a cycle. Subgraphs are checked too. */
function checkAcyclic(g: Graph, where: string): void {
  const producer = new Map<string, number>();
  g.nodes.forEach((n, i) => n.outputs.forEach((o) => o && producer.set(o, i)));
  const indeg = new Array<number>(g.nodes.length).fill(0);
  const users: number[][] = g.nodes.map(() => []);
  g.nodes.forEach((n, i) => {
    for (const v of readsOf(n)) {
      const p = producer.get(v);
      if (p !== undefined) {
        indeg[i]!++;
        users[p]!.push(i);
      }
    }
  });
  const ready = indeg.flatMap((d, i) => (d === 0 ? [i] : []));
  let done = 0;
  while (ready.length > 0) {
    const i = ready.pop()!;
    done++;
    for (const u of users[i]!) if (--indeg[u]! === 0) ready.push(u);
  }
  if (done < g.nodes.length) {
    const stuck = g.nodes.filter((_, i) => indeg[i]! > 0).slice(0, 5).map((n) => `"${nodeLabel(n)}"`);
    fail(where, `the graph has a cycle: ${g.nodes.length - done} node(s) cannot be ordered (${stuck.join(', ')}${g.nodes.length - done > 5 ? ', ...' : ''})`);
  }
  for (const n of g.nodes) {
    for (const a of n.attributes) {
      const graphs = a.type === 'graph' ? [a.value] : a.type === 'graphs' ? a.value : [];
      for (const sg of graphs) checkAcyclic(sg, `${where} > node "${nodeLabel(n)}" > graph "${a.name}"`);
    }
  }
}

/** Values a node reads: its inputs and what its subgraphs read from the enclosing scope. */
function readsOf(n: Node): string[] {
  const out = n.inputs.filter((v): v is string => !!v);
  for (const sg of subgraphsOf(n)) {
    const local = new Set<string>([...sg.inputs.map((i) => i.name), ...sg.initializers.map((t) => t.name)]);
    for (const m of sg.nodes) for (const o of m.outputs) if (o) local.add(o);
    for (const m of sg.nodes) for (const v of readsOf(m)) if (!local.has(v)) out.push(v);
  }
  return out;
}
