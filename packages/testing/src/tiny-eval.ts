/**
 * A deliberately tiny interpreter for the graphs `arbGraph` draws, used as a semantic oracle in property tests
 * (a rewrite must not change what a graph computes). It knows float32 elementwise Add, Sub, Mul, Max, Relu, Neg,
 * Abs, Identity, and If, and nothing else. Every result is rounded to float32 (Math.fround), as ONNX float32 ops
 * are; Max propagates NaN (ONNX Max returns NaN if any input is NaN). Unknown ops and undefined values throw, so a
 * broken graph cannot evaluate silently.
 */
import { DataType } from '@lowbit/onnx-ir';
import type { Graph, Model, TensorRef } from '@lowbit/onnx-ir';

export type EvalValue = Float32Array | boolean;

const binary: Record<string, (a: number, b: number) => number> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Max: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)),
};
const unary: Record<string, (a: number) => number> = {
  Relu: (a) => (Number.isNaN(a) ? a : a > 0 ? a : 0), // max(0, x); NaN stays NaN
  Neg: (a) => -a,
  Abs: (a) => Math.abs(a),
  Identity: (a) => a,
};

function initializerValue(t: TensorRef): Float32Array {
  if (t.kind !== 'inline' || t.dtype !== DataType.FLOAT) throw new Error(`tiny-eval: initializer "${t.name}" must be inline float32`);
  const v = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return Float32Array.from({ length: t.data.byteLength / 4 }, (_, i) => v.getFloat32(i * 4, true));
}

/** Graph outputs by name, given graph-input feeds (and, for subgraphs, the enclosing scope). */
export function evaluateGraph(g: Graph | Model, feeds: ReadonlyMap<string, EvalValue>, outer: ReadonlyMap<string, EvalValue> = new Map()): Map<string, EvalValue> {
  const graph = 'graph' in g ? g.graph : g;
  const env = new Map<string, EvalValue>(outer);
  for (const t of graph.initializers) env.set(t.name, initializerValue(t));
  for (const i of graph.inputs) {
    const v = feeds.get(i.name);
    if (v === undefined) throw new Error(`tiny-eval: no feed for graph input "${i.name}"`);
    env.set(i.name, v);
  }
  const get = (name: string | null): EvalValue => {
    const v = name === null ? undefined : env.get(name);
    if (v === undefined) throw new Error(`tiny-eval: value "${name}" is not defined when read`);
    return v;
  };
  const vec = (name: string | null): Float32Array => {
    const v = get(name);
    if (typeof v === 'boolean') throw new Error(`tiny-eval: value "${name}" is bool, expected float32`);
    return v;
  };
  for (const n of graph.nodes) {
    let out: EvalValue;
    if (n.opType in binary) {
      const a = vec(n.inputs[0]), b = vec(n.inputs[1]);
      if (a.length !== b.length) throw new Error(`tiny-eval: ${n.opType} length mismatch`);
      out = Float32Array.from(a, (x, i) => Math.fround(binary[n.opType](x, b[i])));
    } else if (n.opType in unary) {
      out = Float32Array.from(vec(n.inputs[0]), (x) => Math.fround(unary[n.opType](x)));
    } else if (n.opType === 'If') {
      const c = get(n.inputs[0]);
      const branch = n.attributes.find((a) => a.name === (c === true ? 'then_branch' : 'else_branch'));
      if (branch === undefined || branch.type !== 'graph') throw new Error('tiny-eval: If without branch');
      const r = evaluateGraph(branch.value, new Map(), env);
      out = r.get(branch.value.outputs[0].name)!;
    } else {
      throw new Error(`tiny-eval: unsupported op ${n.opType}`);
    }
    env.set(n.outputs[0]!, out);
  }
  const result = new Map<string, EvalValue>();
  for (const o of graph.outputs) result.set(o.name, get(o.name));
  return result;
}
