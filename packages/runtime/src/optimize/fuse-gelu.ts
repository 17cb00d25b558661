/**
 * Pass `fuse-gelu-erf`: the erf form of GELU, five float32 nodes as exporters write it,
 *
 *   s = Mul(x, c1) | Div(x, c1);  e = Erf(s);  a = Add(e, c2);  y = Mul(Mul(x, a), c3)     (or Mul(Mul(x, c3), a))
 *
 * (c1 ~ 1/sqrt(2) or sqrt(2) for Div, c2 = 1, c3 = 0.5 in GELU, but any scalar constants match) becomes one
 * `lowbit.GeluErf(x)` carrying c1, c2, c3 as attributes (packages/kernels/src/nn/gelu-erf.ts). Exact: the fused kernel
 * performs the same float32 operations in the same order, so results are bit-identical to the unfused nodes run by
 * the same backend. Saves four passes over the activation (and four intermediate buffers) per GELU.
 *
 * Preconditions: c1, c2, c3 float32 scalar constants (rank 0, so the fused op keeps x's shape), every removed
 * intermediate read only inside the pattern and neither a graph output nor kept, Mul/Add operands in either order,
 * and a `lowbit.GeluErf` kernel ranking no lower than Erf's. The model gains the `lowbit` opset import (version 1).
 * Identity rule: nothing fused -> the same model back.
 */
import { editGraph, graphIndex } from '@lowbit/onnx-ir';
import type { Attr, Graph, Model, Node, Pass, PassContext } from '@lowbit/onnx-ir';
import { Constants, fusionPays, isOp, LOWBIT_DOMAIN, passOptions, soleConsumer, type OptimizePassOptions } from './support.js';

export const fuseGeluErf: Pass = {
  name: 'fuse-gelu-erf',
  run(m: Model, ctx: PassContext) {
    const opts = passOptions(ctx);
    if (!m.graph.nodes.some((n) => isOp(n, 'Erf')) || !fusionPays(opts, `${LOWBIT_DOMAIN}.GeluErf:f32`, 'Erf:f32')) return { model: m, modified: false };
    const consts = new Constants(m.graph);
    const g = editGraph(m.graph, (e) => {
      for (const n of m.graph.nodes) {
        if (!isOp(n, 'Erf')) continue;
        const p = matchGelu(m.graph, consts, opts, n);
        if (!p) continue;
        for (const r of p.remove) e.removeNode(r);
        for (const r of p.remove) for (const o of r.outputs) if (o) e.removeValueInfo(o);
        const f = (name: string, value: number): Attr => ({ type: 'float', name, value });
        const i = (name: string, value: boolean): Attr => ({ type: 'int', name, value: value ? 1n : 0n });
        e.replaceNode(p.last, {
          opType: 'GeluErf', domain: LOWBIT_DOMAIN, inputs: [p.x], outputs: [p.last.outputs[0]!], name: e.freshName(`${n.name || 'Erf'}_gelu`),
          attributes: [f('c1', p.c1), i('divide', p.divide), f('c2', p.c2), f('c3', p.c3), i('scale_first', p.scaleFirst)],
        });
      }
    });
    if (g === m.graph) return { model: m, modified: false };
    const opsetImports = m.opsetImports.some((o) => o.domain === LOWBIT_DOMAIN) ? m.opsetImports : [...m.opsetImports, { domain: LOWBIT_DOMAIN, version: 1 }];
    return { model: { ...m, graph: g, opsetImports }, modified: true };
  },
};

interface Match {
  readonly x: string;
  readonly c1: number;
  readonly divide: boolean;
  readonly c2: number;
  readonly c3: number;
  readonly scaleFirst: boolean;
  /** Nodes that go (all but `last`, whose output the fused node takes over). */
  readonly remove: Node[];
  readonly last: Node;
}

/** The value of a float32 rank-0 constant, or undefined. */
function scalar(c: Constants, name: string | null | undefined): number | undefined {
  const t = c.tensor(name);
  return t && t.dtype === 'float32' && t.dims.length === 0 ? (t.data as Float32Array)[0] : undefined;
}

/** `n`'s operand other than `v` when one of its two inputs is `v` (the first such), else undefined. */
function other(n: Node, v: string): string | undefined {
  if (n.inputs.length !== 2) return undefined;
  if (n.inputs[0] === v) return n.inputs[1] ?? undefined;
  if (n.inputs[1] === v) return n.inputs[0] ?? undefined;
  return undefined;
}

function matchGelu(g: Graph, c: Constants, opts: OptimizePassOptions, erf: Node): Match | undefined {
  const idx = graphIndex(g);
  const s = erf.inputs[0];
  if (!s || !erf.outputs[0] || soleConsumer(g, opts, s) !== erf) return undefined;
  const first = idx.producer(s)?.node;
  let x: string | undefined;
  let c1: number | undefined;
  let divide = false;
  if (isOp(first, 'Mul') && first.inputs.length === 2) {
    const k = scalar(c, first.inputs[1]) !== undefined ? 1 : scalar(c, first.inputs[0]) !== undefined ? 0 : -1;
    if (k < 0) return undefined;
    c1 = scalar(c, first.inputs[k]);
    x = first.inputs[1 - k] ?? undefined;
  } else if (isOp(first, 'Div') && first.inputs.length === 2) {
    c1 = scalar(c, first.inputs[1]);
    x = first.inputs[0] ?? undefined;
    divide = true;
  }
  if (!first || x === undefined || c1 === undefined || c.tensor(x)) return undefined;
  const add = soleConsumer(g, opts, erf.outputs[0]);
  if (!isOp(add, 'Add') || !add.outputs[0]) return undefined;
  const c2 = scalar(c, other(add, erf.outputs[0]));
  if (c2 === undefined) return undefined;
  const mul = soleConsumer(g, opts, add.outputs[0]);
  if (!isOp(mul, 'Mul') || !mul.outputs[0]) return undefined;
  const partner = other(mul, add.outputs[0]);
  if (partner === x) {
    // y = Mul(Mul(x, a), c3)
    const last = soleConsumer(g, opts, mul.outputs[0]);
    if (!isOp(last, 'Mul') || !last.outputs[0]) return undefined;
    const c3 = scalar(c, other(last, mul.outputs[0]));
    if (c3 === undefined) return undefined;
    return { x, c1, divide, c2, c3, scaleFirst: false, remove: [first, erf, add, mul], last };
  }
  // y = Mul(Mul(x, c3), a)
  const half = idx.producer(partner ?? '')?.node;
  if (!isOp(half, 'Mul') || !half.outputs[0] || soleConsumer(g, opts, half.outputs[0]) !== mul) return undefined;
  const c3 = scalar(c, other(half, x));
  if (c3 === undefined) return undefined;
  return { x, c1, divide, c2, c3, scaleFirst: true, remove: [first, erf, add, half], last: mul };
}
