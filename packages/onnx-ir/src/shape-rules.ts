/**
 * Per-op static shape rules (see shape-infer.ts for the contract): each rule maps input shapes and folded small
 * integer constants to output shapes (and folded constants), or throws ShapeConflict when known dims contradict.
 * Attributes are read from the node itself.
 */
import { getAttr } from './attrs.js';
import { broadcastShapes, ShapeConflict, type Shape } from './broadcast.js';
import type { Dim, Node } from './types.js';

/** Integer tensors up to this many elements (shapes, axes, indices) are folded along the way. */
export const MAX_CONST = 64;

export interface Ctx {
  readonly node: Node;
  readonly opset: number;
  readonly shapes: readonly (Shape | undefined)[];
  readonly consts: readonly (number[] | undefined)[];
}

export interface Out {
  readonly shapes: (Shape | undefined)[];
  readonly consts?: (number[] | undefined)[];
}

const known = (d: Dim): d is number => typeof d === 'number';
const allKnown = (s: Shape | undefined): s is readonly number[] => !!s && s.every(known);
const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
const normAxis = (a: number, rank: number): number => (a < 0 ? a + rank : a);

function intAttr(c: Ctx, name: string, dflt: number): number {
  const a = getAttr(c.node, name);
  return a?.type === 'int' ? Number(a.value) : dflt;
}

function intsAttr(c: Ctx, name: string): number[] | undefined {
  const a = getAttr(c.node, name);
  return a?.type === 'ints' ? a.value.map(Number) : undefined;
}

function stringAttr(c: Ctx, name: string, dflt: string): string {
  const a = getAttr(c.node, name);
  return a?.type === 'string' ? a.value : dflt;
}

function windowOut(inD: Dim, k: number, s: number, d: number, pb: number, pe: number, autoPad: string, ceil: boolean): Dim {
  if (!known(inD)) return null;
  const span = (k - 1) * d + 1;
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return Math.ceil(inD / s);
  if (autoPad === 'VALID') return Math.floor((inD - span) / s) + 1;
  const num = inD + pb + pe - span;
  if (!ceil) return Math.floor(num / s) + 1;
  let o = Math.ceil(num / s) + 1;
  if ((o - 1) * s >= inD + pb) o--;
  return o;
}

function convLike(c: Ctx, kernel: readonly number[] | undefined, outChannels: Dim, ceil: boolean): Out {
  const x = c.shapes[0];
  if (!x || !kernel) return { shapes: [undefined] };
  const n = kernel.length;
  const strides = intsAttr(c, 'strides') ?? kernel.map(() => 1);
  const dil = intsAttr(c, 'dilations') ?? kernel.map(() => 1);
  const pads = intsAttr(c, 'pads') ?? kernel.map(() => 0).concat(kernel.map(() => 0));
  const autoPad = stringAttr(c, 'auto_pad', 'NOTSET');
  const spatial = kernel.map((k, i) => windowOut(x[2 + i], k, strides[i], dil[i], pads[i], pads[i + n], autoPad, ceil));
  return { shapes: [[x[0], outChannels, ...spatial]] };
}

function matmul(a: Shape, b: Shape): Shape {
  const A = a.length === 1 ? [1, a[0]] : a;
  const B = b.length === 1 ? [b[0], 1] : b;
  const ka = A[A.length - 1];
  const kb = B[B.length - 2];
  if (known(ka) && known(kb) && ka !== kb) throw new ShapeConflict(`inner dimensions differ: ${ka} (input[0]) vs ${kb} (input[1])`, 1);
  const batch = broadcastShapes([A.slice(0, -2), B.slice(0, -2)]);
  const out: Dim[] = [...batch, A[A.length - 2], B[B.length - 1]];
  if (a.length === 1) out.splice(out.length - 2, 1);
  if (b.length === 1) out.splice(out.length - 1, 1);
  return out;
}

function intBinary(op: string, a: number[], b: number[]): number[] | undefined {
  const n = Math.max(a.length, b.length);
  if ((a.length !== n && a.length !== 1) || (b.length !== n && b.length !== 1)) return undefined;
  const f = { Add: (x: number, y: number) => x + y, Sub: (x: number, y: number) => x - y, Mul: (x: number, y: number) => x * y, Div: (x: number, y: number) => (y === 0 ? NaN : Math.trunc(x / y)) }[op];
  if (!f) return undefined;
  const out = Array.from({ length: n }, (_, i) => f(a[a.length === 1 ? 0 : i], b[b.length === 1 ? 0 : i]));
  return out.every(Number.isFinite) ? out : undefined;
}

const UNARY = new Set(['Relu', 'Sigmoid', 'Tanh', 'Exp', 'Log', 'Abs', 'Neg', 'Sqrt', 'Reciprocal', 'Floor', 'Ceil', 'Round', 'Sign', 'Sin', 'Cos',
  'Erf', 'Softplus', 'Softsign', 'Elu', 'LeakyRelu', 'Selu', 'Celu', 'HardSigmoid', 'HardSwish', 'Gelu', 'Mish', 'Clip', 'Cast', 'CastLike', 'Identity',
  'Softmax', 'LogSoftmax', 'Hardmax', 'LRN', 'InstanceNormalization', 'Not', 'IsNaN', 'IsInf', 'CumSum', 'ThresholdedRelu', 'QuantizeLinear',
  'DequantizeLinear', 'Trilu', 'PRelu']);
const BROADCAST = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Mod', 'Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Xor',
  'Where', 'Max', 'Min', 'Sum', 'Mean', 'BitShift']);

type Rule = (c: Ctx) => Out;

const RULES: Readonly<Record<string, Rule>> = {
  Conv: (c) => {
    const w = c.shapes[1];
    if (w && w.length < 3) throw new ShapeConflict(`weight has shape [${w.join(', ')}], expected rank >= 3 (M x C/group x kernel...)`, 1);
    const kernel = intsAttr(c, 'kernel_shape') ?? (allKnown(w) ? w.slice(2) : undefined);
    const x = c.shapes[0];
    const group = intAttr(c, 'group', 1);
    if (x && w && known(x[1]) && known(w[1]) && x[1] !== w[1] * group) throw new ShapeConflict(`input has ${x[1]} channels, weights expect ${w[1]} x group ${group}`, 1);
    return convLike(c, kernel, w ? w[0] : null, false);
  },
  MaxPool: (c) => {
    const r = convLike(c, intsAttr(c, 'kernel_shape'), c.shapes[0]?.[1] ?? null, intAttr(c, 'ceil_mode', 0) === 1);
    return { shapes: [r.shapes[0], r.shapes[0]] };
  },
  AveragePool: (c) => convLike(c, intsAttr(c, 'kernel_shape'), c.shapes[0]?.[1] ?? null, intAttr(c, 'ceil_mode', 0) === 1),
  GlobalAveragePool: (c) => ({ shapes: [c.shapes[0] ? [c.shapes[0][0], c.shapes[0][1], ...c.shapes[0].slice(2).map(() => 1)] : undefined] }),
  GlobalMaxPool: (c) => RULES.GlobalAveragePool(c),
  BatchNormalization: (c) => ({ shapes: [c.shapes[0]] }),
  LayerNormalization: (c) => ({ shapes: [c.shapes[0]] }),
  Dropout: (c) => ({ shapes: [c.shapes[0], c.shapes[0]] }),
  MatMul: (c) => ({ shapes: [c.shapes[0] && c.shapes[1] ? matmul(c.shapes[0], c.shapes[1]) : undefined] }),
  // the integer and quantized forms: MatMul / Conv of inputs 0 and 1 (QLinear*: x at 0, w at 3), scales / zero points aside
  MatMulInteger: (c) => RULES.MatMul!(c),
  ConvInteger: (c) => RULES.Conv!(c),
  QLinearMatMul: (c) => RULES.MatMul!({ ...c, shapes: [c.shapes[0], c.shapes[3]], consts: [] }),
  QLinearConv: (c) => RULES.Conv!({ ...c, shapes: [c.shapes[0], c.shapes[3]], consts: [] }),
  // y like x; y_scale and y_zero_point scalars
  DynamicQuantizeLinear: (c) => ({ shapes: [c.shapes[0], [], []] }),
  Gemm: (c) => {
    const [a, b] = c.shapes;
    if (!a || !b || a.length !== 2 || b.length !== 2) return { shapes: [undefined] };
    const ta = intAttr(c, 'transA', 0) === 1;
    const tb = intAttr(c, 'transB', 0) === 1;
    const [m, ka] = ta ? [a[1], a[0]] : [a[0], a[1]];
    const [kb, n] = tb ? [b[1], b[0]] : [b[0], b[1]];
    if (known(ka) && known(kb) && ka !== kb) throw new ShapeConflict(`inner dimensions differ: ${ka} (A) vs ${kb} (B)`, 1);
    return { shapes: [[m, n]] };
  },
  Flatten: (c) => {
    const x = c.shapes[0];
    if (!x) return { shapes: [undefined] };
    const axis = normAxis(intAttr(c, 'axis', 1), x.length);
    const lo = x.slice(0, axis);
    const hi = x.slice(axis);
    return { shapes: [[allKnown(lo) ? prod(lo) : null, allKnown(hi) ? prod(hi) : null]] };
  },
  Reshape: (c) => {
    const x = c.shapes[0];
    const target = c.consts[1];
    if (!target) return { shapes: [undefined] };
    const allowZero = intAttr(c, 'allowzero', 0) === 1;
    const dims: Dim[] = target.map((t, i) => (t === 0 && !allowZero ? x?.[i] ?? null : t === -1 ? null : t));
    const minus = target.indexOf(-1);
    if (allKnown(x)) {
      const total = prod(x);
      if (minus >= 0) {
        const rest = dims.filter((_, i) => i !== minus);
        if (allKnown(rest)) dims[minus] = prod(rest) === 0 ? 0 : total / prod(rest);
      } else if (allKnown(dims) && prod(dims) !== total) {
        throw new ShapeConflict(`cannot reshape ${total} elements [${x.join(', ')}] to [${dims.join(', ')}]`, 1);
      }
    }
    return { shapes: [dims], consts: [c.consts[0]] };
  },
  Transpose: (c) => {
    const x = c.shapes[0];
    if (!x) return { shapes: [undefined] };
    const perm = intsAttr(c, 'perm') ?? x.map((_, i) => x.length - 1 - i);
    return { shapes: [perm.map((p) => x[p])] };
  },
  Concat: (c) => {
    const ss = c.shapes;
    if (ss.length === 0) throw new ShapeConflict('Concat needs at least one input, got none');
    if (ss.some((s) => !s)) return { shapes: [undefined] };
    const rank = ss[0]!.length;
    const axis = normAxis(intAttr(c, 'axis', 0), rank);
    const out: Dim[] = [...ss[0]!];
    let sum: Dim = 0;
    ss.forEach((s, k) => {
      s!.forEach((d, i) => {
        if (i === axis) return;
        if (known(d) && known(out[i]) && d !== out[i]) throw new ShapeConflict(`input[${k}] has dimension ${d} on axis ${i}, input[0] has ${out[i]}`, k);
      });
      const d = s![axis];
      sum = known(sum) && known(d) ? sum + d : null;
    });
    out[axis] = sum;
    const consts = c.consts.every((v) => v) && rank === 1 ? [c.consts.flatMap((v) => v!)] : undefined;
    return { shapes: [out], consts };
  },
  Shape: (c) => {
    const x = c.shapes[0];
    if (!x) return { shapes: [undefined] };
    const r = x.length;
    const start = Math.min(Math.max(normAxis(intAttr(c, 'start', 0), r), 0), r);
    const end = Math.min(Math.max(normAxis(intAttr(c, 'end', r), r), 0), r);
    const part = x.slice(start, Math.max(start, end));
    return { shapes: [[part.length]], consts: [allKnown(part) ? [...part] : undefined] };
  },
  Size: (c) => ({ shapes: [[]], consts: [allKnown(c.shapes[0]) ? [prod(c.shapes[0])] : undefined] }),
  Gather: (c) => {
    const [x, idx] = c.shapes;
    if (!x || !idx) return { shapes: [undefined] };
    const axis = normAxis(intAttr(c, 'axis', 0), x.length);
    const out = [...x.slice(0, axis), ...idx, ...x.slice(axis + 1)];
    let consts: number[] | undefined;
    const data = c.consts[0];
    const ind = c.consts[1];
    if (data && ind && x.length === 1) consts = ind.map((i) => data[i < 0 ? i + data.length : i]);
    return { shapes: [out], consts: [consts] };
  },
  Unsqueeze: (c) => {
    const x = c.shapes[0];
    const axes = c.opset >= 13 ? c.consts[1] : intsAttr(c, 'axes');
    if (!x || !axes) return { shapes: [undefined] };
    const rank = x.length + axes.length;
    const set = new Set(axes.map((a) => normAxis(a, rank)));
    const out: Dim[] = [];
    let j = 0;
    for (let i = 0; i < rank; i++) out.push(set.has(i) ? 1 : x[j++]);
    return { shapes: [out], consts: [c.consts[0]] };
  },
  Squeeze: (c) => {
    const x = c.shapes[0];
    const axes = c.opset >= 13 ? (c.node.inputs[1] ? c.consts[1] : []) : intsAttr(c, 'axes') ?? [];
    if (!x || !axes) return { shapes: [undefined] };
    if (axes.length === 0) return { shapes: [x.every(known) ? x.filter((d) => d !== 1) : undefined], consts: [c.consts[0]] };
    const set = new Set(axes.map((a) => normAxis(a, x.length)));
    return { shapes: [x.filter((_, i) => !set.has(i))], consts: [c.consts[0]] };
  },
  Constant: () => ({ shapes: [undefined] }),
  ConstantOfShape: (c) => ({ shapes: [c.consts[0] ? [...c.consts[0]] : undefined] }),
  Expand: (c) => ({ shapes: [c.shapes[0] && c.consts[1] ? broadcastShapes([c.shapes[0], c.consts[1]]) : undefined] }),
  Tile: (c) => {
    const x = c.shapes[0];
    const reps = c.consts[1];
    return { shapes: [x && reps ? x.map((d, i) => (known(d) ? d * reps[i] : null)) : undefined] };
  },
  Pad: (c) => {
    const x = c.shapes[0];
    const pads = c.opset >= 11 ? c.consts[1] : intsAttr(c, 'pads');
    if (!x || !pads || (c.opset >= 18 && c.node.inputs[3])) return { shapes: [undefined] };
    const r = x.length;
    return { shapes: [x.map((d, i) => (known(d) ? d + pads[i] + pads[i + r] : null))] };
  },
  Slice: (c) => {
    const x = c.shapes[0];
    if (!x) return { shapes: [undefined] };
    const starts = c.opset >= 10 ? c.consts[1] : intsAttr(c, 'starts');
    const ends = c.opset >= 10 ? c.consts[2] : intsAttr(c, 'ends');
    const axes = c.opset >= 10 ? (c.node.inputs[3] ? c.consts[3] : x.map((_, i) => i)) : intsAttr(c, 'axes') ?? x.map((_, i) => i);
    const steps = c.opset >= 10 && c.node.inputs[4] ? c.consts[4] : x.map(() => 1);
    if (!starts || !ends || !axes || !steps) return { shapes: [undefined] };
    const out: Dim[] = [...x];
    let ranges: [number, number, number][] | undefined = [];
    axes.forEach((a0, k) => {
      const a = normAxis(a0, x.length);
      const d = x[a];
      if (!known(d)) {
        out[a] = null;
        ranges = undefined;
        return;
      }
      const step = steps[k];
      const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
      const s = starts[k] < 0 ? starts[k] + d : starts[k];
      const e = ends[k] < 0 ? ends[k] + d : ends[k];
      const [lo, hi] = step > 0 ? [clamp(s, 0, d), clamp(e, 0, d)] : [clamp(s, -1, d - 1), clamp(e, -1, d - 1)];
      out[a] = Math.max(0, Math.ceil((hi - lo) / step));
      ranges?.push([lo, step, out[a] as number]);
    });
    const data = c.consts[0];
    const consts = data && x.length === 1 && ranges && ranges.length === 1 ? Array.from({ length: ranges[0][2] }, (_, i) => data[ranges![0][0] + i * ranges![0][1]]) : undefined;
    return { shapes: [out], consts: [consts] };
  },
  ArgMax: (c) => reduceLike(c, [intAttr(c, 'axis', 0)]),
  ArgMin: (c) => reduceLike(c, [intAttr(c, 'axis', 0)]),
  TopK: (c) => {
    const x = c.shapes[0];
    const k = c.consts[1];
    if (!x || !k) return { shapes: [undefined, undefined] };
    const out = [...x];
    out[normAxis(intAttr(c, 'axis', -1), x.length)] = k[0];
    return { shapes: [out, out] };
  },
};

const REDUCE = ['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare'];

function reduceLike(c: Ctx, axesIn: number[] | undefined): Out {
  const x = c.shapes[0];
  if (!x) return { shapes: [undefined] };
  const keep = intAttr(c, 'keepdims', 1) === 1;
  let axes = axesIn;
  if (!axes || axes.length === 0) {
    if (intAttr(c, 'noop_with_empty_axes', 0) === 1) return { shapes: [x] };
    axes = x.map((_, i) => i);
  }
  const set = new Set(axes.map((a) => normAxis(a, x.length)));
  const out: Dim[] = [];
  x.forEach((d, i) => {
    if (!set.has(i)) out.push(d);
    else if (keep) out.push(1);
  });
  return { shapes: [out] };
}

export function ruleFor(c: Ctx): Out | undefined {
  const op = c.node.opType;
  if (REDUCE.includes(op)) {
    const fromInput = op === 'ReduceSum' ? c.opset >= 13 : c.opset >= 18;
    if (fromInput && c.node.inputs[1] && !c.consts[1]) return { shapes: [undefined] };
    return reduceLike(c, fromInput ? c.consts[1] ?? [] : intsAttr(c, 'axes'));
  }
  if (UNARY.has(op)) return { shapes: [c.shapes[0]], consts: op === 'Identity' || op === 'Cast' ? [c.consts[0]] : undefined };
  if (BROADCAST.has(op)) {
    // Before opset 7 these ops broadcast by `axis` attribute, not numpy-style: leave them unknown.
    if (c.opset < 7) return { shapes: [undefined] };
    const present = c.shapes.filter((_, i) => c.node.inputs[i]);
    if (present.some((s) => !s)) return { shapes: [undefined] };
    const shape = broadcastShapes(present as Shape[]);
    const consts = c.consts.length === 2 && c.consts[0] && c.consts[1] ? intBinary(op, c.consts[0], c.consts[1]) : undefined;
    return { shapes: [shape], consts: [consts] };
  }
  return RULES[op]?.(c);
}

