/**
 * Static shape and element-type rules for the common ops (ONNX's inference rules, for the cases where they can be
 * decided from input shapes, attributes and constant inputs). A dim is a number, a symbol (string) or unknown (null).
 */
import { DataType, isDefaultDomain } from '@lowbit/onnx-ir';
import type { Dim, Node, TensorRef } from '@lowbit/onnx-ir';
import { readInt, readInts } from './attrs.js';
import { tensorNumbers } from './tensor-data.js';

export interface ValueType {
  readonly elemType: DataType;
  readonly shape: readonly Dim[] | undefined;
}

export interface RuleInput {
  readonly node: Node;
  readonly inputs: readonly (ValueType | undefined)[];
  readonly constants: readonly (TensorRef | undefined)[];
  readonly opset: number;
}

const UNARY = new Set(['Relu', 'Sigmoid', 'Tanh', 'Exp', 'Log', 'Abs', 'Neg', 'Sqrt', 'Erf', 'Gelu', 'HardSigmoid', 'HardSwish', 'LeakyRelu', 'Elu', 'Selu', 'Softplus', 'Clip', 'Identity', 'Softmax', 'LogSoftmax', 'LayerNormalization', 'BatchNormalization', 'Reciprocal', 'Floor', 'Ceil', 'Round', 'Sin', 'Cos', 'InstanceNormalization', 'LRN', 'PRelu', 'Dropout']);
const BINARY = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Sum', 'Mean', 'Where']);
const COMPARE = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Xor']);
const REDUCE = new Set(['ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceSumSquare', 'ReduceLogSumExp']);

const nums = (t: TensorRef | undefined): number[] | undefined => (t ? Array.from(tensorNumbers(t)) : undefined);

/** Broadcast two shapes (numpy rules); unknown where a dim cannot be decided. */
export function broadcast(a: readonly Dim[], b: readonly Dim[]): Dim[] {
  const r = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < r; i++) {
    const x = i < r - a.length ? 1 : a[i - (r - a.length)];
    const y = i < r - b.length ? 1 : b[i - (r - b.length)];
    if (x === 1) out.push(y);
    else if (y === 1) out.push(x);
    else if (x === y) out.push(x);
    else if (typeof x === 'number' && typeof y === 'number') out.push(null); // incompatible: leave unknown
    else out.push(typeof x === 'number' ? x : typeof y === 'number' ? y : null);
  }
  return out;
}

function poolDims(n: Node, x: readonly Dim[], kernel: readonly number[], opset: number): Dim[] {
  const sp = x.length - 2;
  const strides = readInts(n, 'strides') ?? new Array<number>(sp).fill(1);
  const dil = readInts(n, 'dilations') ?? new Array<number>(sp).fill(1);
  const pads = readInts(n, 'pads') ?? new Array<number>(2 * sp).fill(0);
  const autoPad = n.attributes.find((a) => a.name === 'auto_pad');
  const ap = autoPad && autoPad.type === 'string' ? autoPad.value : 'NOTSET';
  const ceil = opset >= 10 && readInt(n, 'ceil_mode', 0) === 1;
  const out: Dim[] = [];
  for (let i = 0; i < sp; i++) {
    const d = x[2 + i];
    if (typeof d !== 'number') { out.push(null); continue; }
    const ek = (kernel[i] - 1) * dil[i] + 1;
    if (ap === 'SAME_UPPER' || ap === 'SAME_LOWER') out.push(Math.ceil(d / strides[i]));
    else if (ap === 'VALID') out.push(Math.floor((d - ek) / strides[i]) + 1);
    else {
      const v = (d + pads[i] + pads[i + sp] - ek) / strides[i];
      out.push((ceil ? Math.ceil(v) : Math.floor(v)) + 1);
    }
  }
  return out;
}

/** Output types of `node`, one per output (undefined where not derivable). */
export function inferNode(r: RuleInput): (ValueType | undefined)[] {
  const { node: n, inputs: ins, constants: cs, opset } = r;
  const x = ins[0];
  const op = n.opType;
  const one = (t: ValueType | undefined): (ValueType | undefined)[] => [t];
  if (!isDefaultDomain(n.domain)) return [];
  if (UNARY.has(op)) return x ? one({ elemType: x.elemType, shape: x.shape }) : [];
  if (op === 'Cast') { const to = readInt(n, 'to', 0) as DataType; return one({ elemType: to, shape: x?.shape }); }
  if (BINARY.has(op) || COMPARE.has(op)) {
    const known = ins.filter((t): t is ValueType => !!t);
    if (known.length !== n.inputs.filter((i) => i).length) return [];
    const shape = known.every((t) => t.shape) ? known.map((t) => t.shape!).reduce((a, b) => broadcast(a, b)) : undefined;
    const elemType = COMPARE.has(op) ? DataType.BOOL : op === 'Where' ? known[1].elemType : known[0].elemType;
    return one({ elemType, shape });
  }
  if (!x) return op === 'Shape' ? [] : [];
  const xs = x.shape;
  switch (op) {
    case 'QuantizeLinear': {
      const zp = ins[2];
      return one({ elemType: zp?.elemType ?? DataType.UINT8, shape: xs });
    }
    case 'DequantizeLinear': return one({ elemType: ins[1]?.elemType ?? DataType.FLOAT, shape: xs });
    case 'MatMul': {
      const b = ins[1];
      if (!xs || !b?.shape) return one({ elemType: x.elemType, shape: undefined });
      const a2 = xs.length === 1 ? [1, xs[0]] : xs;
      const b2 = b.shape.length === 1 ? [b.shape[0], 1] : b.shape;
      const batch = broadcast(a2.slice(0, -2), b2.slice(0, -2));
      const shape: Dim[] = [...batch, ...(xs.length === 1 ? [] : [a2[a2.length - 2]]), ...(b.shape.length === 1 ? [] : [b2[b2.length - 1]])];
      return one({ elemType: x.elemType, shape });
    }
    case 'Gemm': {
      const b = ins[1];
      if (!xs || !b?.shape || xs.length !== 2 || b.shape.length !== 2) return one({ elemType: x.elemType, shape: undefined });
      const m = readInt(n, 'transA', 0) ? xs[1] : xs[0];
      const nn = readInt(n, 'transB', 0) ? b.shape[0] : b.shape[1];
      return one({ elemType: x.elemType, shape: [m, nn] });
    }
    case 'Conv': {
      const w = ins[1];
      if (!xs || !w?.shape) return one({ elemType: x.elemType, shape: undefined });
      const kernel = readInts(n, 'kernel_shape') ?? w.shape.slice(2).map((d) => (typeof d === 'number' ? d : 1));
      return one({ elemType: x.elemType, shape: [xs[0], w.shape[0], ...poolDims(n, xs, kernel, opset)] });
    }
    case 'MaxPool': case 'AveragePool': case 'LpPool': {
      const kernel = readInts(n, 'kernel_shape');
      if (!xs || !kernel) return [{ elemType: x.elemType, shape: undefined }];
      return [{ elemType: x.elemType, shape: [xs[0], xs[1], ...poolDims(n, xs, kernel, opset)] }];
    }
    case 'GlobalAveragePool': case 'GlobalMaxPool':
      return one({ elemType: x.elemType, shape: xs ? [xs[0], xs[1], ...xs.slice(2).map(() => 1)] : undefined });
    case 'Flatten': {
      if (!xs) return one({ elemType: x.elemType, shape: undefined });
      let axis = readInt(n, 'axis', 1);
      if (axis < 0) axis += xs.length;
      const prod = (ds: readonly Dim[]): Dim => (ds.every((d) => typeof d === 'number') ? (ds as number[]).reduce((p, q) => p * q, 1) : null);
      return one({ elemType: x.elemType, shape: [prod(xs.slice(0, axis)), prod(xs.slice(axis))] });
    }
    case 'Reshape': {
      const shape = nums(cs[1]);
      if (!shape) return one({ elemType: x.elemType, shape: undefined });
      const allowZero = readInt(n, 'allowzero', 0) === 1;
      const out: Dim[] = shape.map((s, i) => (s === 0 && !allowZero ? (xs ? xs[i] : null) : s === -1 ? null : s));
      const minus = shape.indexOf(-1);
      if (minus >= 0 && xs && xs.every((d) => typeof d === 'number') && out.every((d, i) => i === minus || typeof d === 'number')) {
        const total = (xs as number[]).reduce((p, q) => p * q, 1);
        const known = (out.filter((_, i) => i !== minus) as number[]).reduce((p, q) => p * q, 1);
        out[minus] = known === 0 ? 0 : total / known;
      }
      return one({ elemType: x.elemType, shape: out });
    }
    case 'Transpose': {
      if (!xs) return one({ elemType: x.elemType, shape: undefined });
      const perm = readInts(n, 'perm') ?? xs.map((_, i) => xs.length - 1 - i);
      return one({ elemType: x.elemType, shape: perm.map((p) => xs[p]) });
    }
    case 'Squeeze': case 'Unsqueeze': {
      const axes = opset >= 13 ? nums(cs[1]) : readInts(n, 'axes');
      if (!xs || (!axes && op === 'Unsqueeze')) return one({ elemType: x.elemType, shape: undefined });
      if (op === 'Squeeze') {
        if (!axes) return one({ elemType: x.elemType, shape: xs.every((d) => typeof d === 'number') ? xs.filter((d) => d !== 1) : undefined });
        const norm = axes.map((a) => (a < 0 ? a + xs.length : a));
        return one({ elemType: x.elemType, shape: xs.filter((_, i) => !norm.includes(i)) });
      }
      const rank = xs.length + axes!.length;
      const norm = axes!.map((a) => (a < 0 ? a + rank : a));
      const out: Dim[] = [];
      let k = 0;
      for (let i = 0; i < rank; i++) out.push(norm.includes(i) ? 1 : xs[k++]);
      return one({ elemType: x.elemType, shape: out });
    }
    case 'Concat': {
      const all = ins.filter((t): t is ValueType => !!t);
      if (all.length !== n.inputs.length || all.some((t) => !t.shape)) return one({ elemType: x.elemType, shape: undefined });
      let axis = readInt(n, 'axis', 0);
      if (axis < 0) axis += xs!.length;
      const out = [...xs!];
      out[axis] = all.every((t) => typeof t.shape![axis] === 'number') ? all.reduce((s, t) => s + (t.shape![axis] as number), 0) : null;
      return one({ elemType: x.elemType, shape: out });
    }
    case 'Gather': {
      const idx = ins[1];
      if (!xs || !idx?.shape) return one({ elemType: x.elemType, shape: undefined });
      let axis = readInt(n, 'axis', 0);
      if (axis < 0) axis += xs.length;
      return one({ elemType: x.elemType, shape: [...xs.slice(0, axis), ...idx.shape, ...xs.slice(axis + 1)] });
    }
    case 'Shape': return one({ elemType: DataType.INT64, shape: [xs ? xs.length : null] });
    default:
      if (REDUCE.has(op)) {
        const axes = (op === 'ReduceSum' && opset >= 13) || opset >= 18 ? nums(cs[1]) : readInts(n, 'axes');
        const keep = readInt(n, 'keepdims', 1) === 1;
        if (!xs) return one({ elemType: x.elemType, shape: undefined });
        const norm = (axes ?? xs.map((_, i) => i)).map((a) => (a < 0 ? a + xs.length : a));
        const out: Dim[] = [];
        xs.forEach((d, i) => { if (!norm.includes(i)) out.push(d); else if (keep) out.push(1); });
        return one({ elemType: x.elemType, shape: out });
      }
      return [];
  }
}
