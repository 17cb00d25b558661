/**
 * The activation that `fuse-dynamic-matmul` folds into a `lowbit.DynamicQConv` (its `activation` attribute, see
 * packages/kernels/src/quant/dynamic-qconv.ts): the nodes that alone read the convolution's float output and compute
 *
 *   1 Relu(y)
 *   2 Clip(y, lo, hi)                                 lo, hi float32 constants (absent: -inf / +inf), lo <= hi
 *   3 Div(Mul(y, Clip(Add(y, a), lo, hi)), d)         HardSwish written out (a, d float32 scalar constants)
 *   4 HardSigmoid(y; alpha, beta)
 *
 * The kernels repeat these nodes' float operations exactly, so the fusion stays bit-identical. Opset 11 on only (the
 * dynamic chain's DynamicQuantizeLinear needs it, and Clip's bounds are inputs from then on).
 */
import { attrFloat, graphIndex } from '@lowbit/onnx-ir';
import type { Attr, Graph, Node } from '@lowbit/onnx-ir';
import { isOp, removable, soleConsumer, type Constants, type OptimizePassOptions } from './support.js';

export interface FusedActivation {
  /** Nodes removed besides `last` (HardSwish: the Add, Clip and Mul). */
  readonly remove: Node[];
  /** The node whose output the fused convolution takes over. */
  readonly last: Node;
  readonly attrs: Attr[];
}

const int = (name: string, v: number): Attr => ({ type: 'int', name, value: BigInt(v) });
const float = (name: string, v: number): Attr => ({ type: 'float', name, value: v });

/** A float32 scalar constant's value, or undefined. */
function scalar(c: Constants, name: string | null | undefined): number | undefined {
  const t = c.tensor(name);
  return t && t.dtype === 'float32' && t.data.length === 1 && t.dims.length <= 1 ? (t.data as Float32Array)[0] : undefined;
}

/** The bounds of an opset-11+ Clip with constant (or absent) bounds, lo <= hi; otherwise undefined. */
function clipBounds(c: Constants, n: Node): [number, number] | undefined {
  const b = [-Infinity, Infinity];
  for (const i of [1, 2]) {
    const name = n.inputs[i];
    if (!name) continue;
    const v = scalar(c, name);
    if (v === undefined) return undefined;
    b[i - 1] = v;
  }
  return b[0] <= b[1] ? [b[0], b[1]] : undefined;
}

/** The activation reading float `value` (a fused convolution's output), or undefined. */
export function matchActivation(g: Graph, c: Constants, opts: OptimizePassOptions, value: string, opset: number): FusedActivation | undefined {
  if (opset < 11) return undefined;
  const sole = soleConsumer(g, opts, value);
  if (sole?.outputs[0] && sole.inputs[0] === value) {
    if (isOp(sole, 'Relu')) return { remove: [], last: sole, attrs: [int('activation', 1)] };
    if (isOp(sole, 'Clip')) {
      const b = clipBounds(c, sole);
      return b ? { remove: [], last: sole, attrs: [int('activation', 2), float('activation_min', b[0]), float('activation_max', b[1])] } : undefined;
    }
    if (isOp(sole, 'HardSigmoid')) {
      return { remove: [], last: sole, attrs: [int('activation', 4), float('activation_alpha', attrFloat(sole, 'alpha', 0.2)), float('activation_beta', attrFloat(sole, 'beta', 0.5))] };
    }
    return undefined;
  }
  return hardSwish(g, c, opts, value);
}

/** Div(Mul(y, Clip(Add(y, a), lo, hi)), d): y read by exactly that Add and that Mul. */
function hardSwish(g: Graph, c: Constants, opts: OptimizePassOptions, y: string): FusedActivation | undefined {
  if (!removable(g, opts, y)) return undefined;
  const idx = graphIndex(g);
  const uses = idx.consumers(y).map((u) => u.node);
  if (uses.length !== 2 || idx.captures(y).length !== 0) return undefined;
  const add = uses.find((n) => isOp(n, 'Add'));
  const mul = uses.find((n) => isOp(n, 'Mul'));
  if (!add || !mul || add === mul || !add.outputs[0]) return undefined;
  const a = scalar(c, add.inputs[0] === y ? add.inputs[1] : add.inputs[0]);
  const clip = soleConsumer(g, opts, add.outputs[0]);
  if (a === undefined || !isOp(clip, 'Clip') || clip.inputs[0] !== add.outputs[0] || !clip.outputs[0]) return undefined;
  const b = clipBounds(c, clip);
  if (!b || soleConsumer(g, opts, clip.outputs[0]) !== mul) return undefined;
  if (!((mul.inputs[0] === y && mul.inputs[1] === clip.outputs[0]) || (mul.inputs[1] === y && mul.inputs[0] === clip.outputs[0])) || !mul.outputs[0]) return undefined;
  const div = soleConsumer(g, opts, mul.outputs[0]);
  if (!isOp(div, 'Div') || div.inputs[0] !== mul.outputs[0] || !div.outputs[0]) return undefined;
  const d = scalar(c, div.inputs[1]);
  if (d === undefined) return undefined;
  return {
    remove: [add, clip, mul], last: div,
    attrs: [int('activation', 3), float('activation_add', a), float('activation_min', b[0]), float('activation_max', b[1]), float('activation_div', d)],
  };
}
