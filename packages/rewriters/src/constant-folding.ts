/**
 * Pass `constant-folding`: replaces nodes whose inputs are all constants by initializers.
 *
 * - `Constant` nodes become initializers (value, value_float(s), value_int(s)).
 * - Pure data-movement ops are folded here, byte for byte, with no arithmetic: Identity, Reshape, Flatten, Squeeze,
 *   Unsqueeze, Transpose.
 * - Every other op is folded only when an evaluator is injected (`options.evaluator`, or
 *   `ctx.options['constant-folding'].evaluator`), which is told the node's own opset (the model's default-domain
 *   import); @lowbit/quantize injects one backed by @lowbit/runtime. Without one, such nodes stay.
 * - Never folded: nodes with subgraphs, non-default domains, random ops, DequantizeLinear (a quantized constant stays
 *   quantized: folding it would turn an integer weight back into a 4x larger float one), values that are graph
 *   outputs, and results larger than `maxElements` (default 2^24).
 * Identity rule: nothing foldable -> the same model back.
 */
import { DataType, editGraph, graphIndex, isDefaultDomain } from '@lowbit/onnx-ir';
import type { Model, Node, TensorRef } from '@lowbit/onnx-ir';
import { readInt, readInts } from './attrs.js';
import { RewriteError } from './errors.js';
import { Constants, tidyGraph } from './edit-support.js';
import { onnxOpset, withGraph } from './model-opset.js';
import { passOptions, result, type RewriteContext, type RewritePass } from './pass-contract.js';
import { makeTensor, numel, renameTensor, tensorBytes, tensorNumbers } from './tensor-data.js';

const PASS = 'constant-folding';
const NEVER = new Set(['RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Multinomial', 'Bernoulli', 'If', 'Loop', 'Scan', 'Dropout', 'DequantizeLinear']);

/** What an evaluator must know besides the node and its inputs. */
export interface ConstantEvaluationContext {
  /**
   * The node's own opset: the version of its domain that the model imports. An op's signature may change between
   * opsets (ReduceMean's `axes` is an attribute before 18 and an input after), so the node must be evaluated under
   * this version, never a fixed one.
   */
  readonly opset: number;
}

/**
 * Evaluates one node on constant inputs under `context.opset`; returns one tensor per node output (names are
 * replaced by the pass), or undefined when it cannot evaluate this node (the node then stays). A throw is a
 * RewriteError naming the node.
 */
export type ConstantEvaluator = (node: Node, inputs: readonly (TensorRef | null)[], context: ConstantEvaluationContext) => readonly TensorRef[] | undefined | Promise<readonly TensorRef[] | undefined>;

export interface ConstantFoldingOptions {
  readonly evaluator?: ConstantEvaluator;
  readonly maxElements?: number;
}

export function constantFolding(options: ConstantFoldingOptions = {}): RewritePass {
  return {
    name: PASS,
    async run(m: Model, ctx: RewriteContext) {
      const evaluator = options.evaluator ?? passOptions<ConstantFoldingOptions>(ctx, PASS)?.evaluator;
      const maxElements = options.maxElements ?? 1 << 24;
      const g = m.graph;
      const idx = graphIndex(g);
      const consts = new Constants(g);
      const opset = onnxOpset(m);
      // The evaluator may be async, and editGraph's callback is synchronous: decide every fold first (in node order,
      // so a fold can read the constants made by earlier ones), then apply them in one edit.
      const folds: { node: Node; tensors: readonly TensorRef[] }[] = [];
      const made = new Map<string, TensorRef>();
      const constant = (name: string): TensorRef | undefined => made.get(name) ?? consts.get(name);
      for (const n of g.nodes) {
        if (!isDefaultDomain(n.domain)) continue;
        if (NEVER.has(n.opType) || n.attributes.some((a) => a.type === 'graph' || a.type === 'graphs')) continue;
        const outs = n.outputs;
        if (outs.some((o) => o && idx.isGraphOutput(o)) || outs.length === 0) continue;
        let folded: readonly TensorRef[] | undefined;
        if (n.opType === 'Constant') {
          folded = [constantValue(n)];
        } else {
          const ins = n.inputs.map((i) => (i ? constant(i) ?? undefined : null));
          if (ins.some((t) => t === undefined) || ins.every((t) => t === null)) continue;
          const inputs = ins as (TensorRef | null)[];
          folded = foldLayout(n, inputs, opset);
          if (!folded && evaluator) {
            try {
              folded = await evaluator(n, inputs, { opset });
            } catch (e) {
              throw new RewriteError({ pass: PASS, nodeName: n.name, opType: n.opType }, 'the injected evaluator failed', e);
            }
          }
        }
        if (!folded || folded.some((t) => numel(t.dims) > maxElements)) continue;
        const tensors = outs.map((o, i) => (o ? renameTensor(folded![i], o) : folded![i]));
        outs.forEach((o, i) => { if (o) made.set(o, tensors[i]); });
        folds.push({ node: n, tensors });
      }
      if (folds.length === 0) return result(m, m);
      const edited = editGraph(g, (e) => {
        for (const { node, tensors } of folds) {
          e.removeNode(node);
          node.outputs.forEach((o, i) => { if (o) consts.add(e, tensors[i]); });
        }
      });
      return result(m, withGraph(m, tidyGraph(g, edited, { pruneInitializers: true })));
    },
  };
}

function constantValue(n: Node): TensorRef {
  const a = n.attributes[0];
  const name = n.outputs[0]!;
  if (!a) throw new RewriteError({ pass: PASS, nodeName: n.name, opType: 'Constant' }, 'Constant without a value attribute');
  switch (a.type) {
    case 'tensor': return renameTensor(a.value, name);
    case 'float': return makeTensor(name, DataType.FLOAT, [], [a.value]);
    case 'floats': return makeTensor(name, DataType.FLOAT, [a.value.length], a.value);
    case 'int': return makeTensor(name, DataType.INT64, [], [Number(a.value)]);
    case 'ints': return makeTensor(name, DataType.INT64, [a.value.length], a.value.map(Number));
    default: throw new RewriteError({ pass: PASS, nodeName: n.name, opType: 'Constant', actual: a.type }, 'unsupported Constant attribute');
  }
}

function inlineWith(t: TensorRef, dims: readonly number[], data: Uint8Array): TensorRef {
  return { kind: 'inline', name: t.name, dtype: t.dtype, dims: [...dims], data, encoding: 'raw' };
}

const BYTES: Partial<Record<number, number>> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2 };

/** Data-movement ops on constants (no arithmetic). Undefined when not handled here. */
function foldLayout(n: Node, ins: readonly (TensorRef | null)[], opset: number): TensorRef[] | undefined {
  const x = ins[0];
  if (!x || BYTES[x.dtype] === undefined) return undefined;
  const dims = x.dims;
  const axesOf = (attr: string): number[] | undefined => (opset >= 13 && ins[1] ? Array.from(tensorNumbers(ins[1])) : readInts(n, attr));
  switch (n.opType) {
    case 'Identity': return [x];
    case 'Reshape': {
      if (!ins[1]) return undefined;
      const shape = Array.from(tensorNumbers(ins[1]));
      const allowZero = readInt(n, 'allowzero', 0) === 1;
      const out = shape.map((s, i) => (s === 0 && !allowZero ? dims[i] : s));
      const known = out.filter((s) => s !== -1).reduce((a, b) => a * b, 1);
      const total = numel(dims);
      const fixed = out.map((s) => (s === -1 ? total / known : s));
      if (numel(fixed) !== total) return undefined;
      return [inlineWith(x, fixed, tensorBytes(x))];
    }
    case 'Flatten': {
      const r = dims.length;
      let axis = readInt(n, 'axis', 1);
      if (axis < 0) axis += r;
      const a = dims.slice(0, axis).reduce((p, q) => p * q, 1);
      return [inlineWith(x, [a, numel(dims) / a], tensorBytes(x))];
    }
    case 'Squeeze': {
      const axes = axesOf('axes')?.map((a) => (a < 0 ? a + dims.length : a));
      return [inlineWith(x, dims.filter((d, i) => (axes ? !axes.includes(i) : d !== 1)), tensorBytes(x))];
    }
    case 'Unsqueeze': {
      const axes = axesOf('axes');
      if (!axes) return undefined;
      const r = dims.length + axes.length;
      const norm = axes.map((a) => (a < 0 ? a + r : a));
      const out: number[] = [];
      let k = 0;
      for (let i = 0; i < r; i++) out.push(norm.includes(i) ? 1 : dims[k++]);
      return [inlineWith(x, out, tensorBytes(x))];
    }
    case 'Transpose': {
      const r = dims.length;
      const perm = readInts(n, 'perm') ?? dims.map((_, i) => r - 1 - i);
      const size = BYTES[x.dtype]!;
      const src = tensorBytes(x);
      const outDims = perm.map((p) => dims[p]);
      const inStrides = new Array<number>(r).fill(1);
      for (let i = r - 2; i >= 0; i--) inStrides[i] = inStrides[i + 1] * dims[i + 1];
      const out = new Uint8Array(src.length);
      const total = numel(dims);
      const idx = new Array<number>(r).fill(0);
      for (let o = 0; o < total; o++) {
        let off = 0;
        for (let i = 0; i < r; i++) off += idx[i] * inStrides[perm[i]];
        out.set(src.subarray(off * size, off * size + size), o * size);
        for (let i = r - 1; i >= 0; i--) { if (++idx[i] < outDims[i]) break; idx[i] = 0; }
      }
      return [inlineWith(x, outDims, out)];
    }
    default:
      return undefined;
  }
}

