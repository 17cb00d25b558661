/**
 * Sequence and optional ops (values that are not tensors, so no kernel sees them):
 * SequenceEmpty, SequenceConstruct, SequenceInsert, SequenceAt, SequenceErase, SequenceLength, ConcatFromSequence,
 * SplitToSequence, SequenceMap, Optional, OptionalHasElement, OptionalGetElement.
 *
 * Positions follow ONNX: an int32/int64 scalar in [-n, n-1] (SequenceInsert accepts n: append), negative counts from
 * the end. Out-of-range positions are NodeErrors.
 */
import { Tensor, sizeOf, type DType, type RunContext } from '@lowbit/kernels';
import type { BuiltinCompileContext, BuiltinInstance, BuiltinOp, BuiltinRunContext } from '../plan-contract.js';
import { dtypeOf } from '../ir-compat.js';
import { isTensor, kindOf, OptionalNone, retainValue, TensorSequence, type Value } from '../values.js';
import { requireGraph } from './subgraph-types.js';
import { int64Scalar, scalarInt, stackAlong, takeAlong } from './tensor-util.js';

type Indexed = { [i: number]: unknown; length: number };

function seqIn(ctx: BuiltinCompileContext, v: Value | null, i: number): TensorSequence {
  if (v instanceof TensorSequence) return v;
  return ctx.fail(`input[${i}] must be a sequence, got ${kindOf(v)}`, { inputIndex: i });
}

function tensorIn(ctx: BuiltinCompileContext, v: Value | null, i: number): Tensor {
  if (v && isTensor(v)) return v;
  return ctx.fail(`input[${i}] must be a tensor, got ${kindOf(v)}`, { inputIndex: i });
}

function position(ctx: BuiltinCompileContext, v: Value | null, i: number, n: number, allowEnd: boolean): number {
  const p = scalarInt(tensorIn(ctx, v, i));
  const hi = allowEnd ? n : n - 1;
  if (p < -n || p > hi) ctx.fail(`position ${p} is out of range [${-n}, ${hi}] for a sequence of length ${n}`, { inputIndex: i });
  return p < 0 ? p + n : p;
}

/** Returns `outs` with one transit reference each (the builtin convention). */
function held(rc: BuiltinRunContext, outs: Value[]): Value[] {
  for (const v of outs) retainValue(rc.pool, v);
  return outs;
}

const simple = (opType: string, make: (ctx: BuiltinCompileContext) => Omit<BuiltinInstance, 'subplans'>): BuiltinOp => ({
  opType, sinceVersion: 11, create: (ctx) => ({ subplans: [], ...make(ctx) }),
});

/** Concatenates tensors of equal rank along `axis` (all other dims equal). */
export function concatAlong(parts: readonly Tensor[], axis: number, ctx: RunContext): Tensor {
  const first = parts[0];
  const rank = first.dims.length;
  const total = parts.reduce((a, p) => a + p.dims[axis], 0);
  for (const p of parts) {
    if (p.dims.length !== rank || p.dims.some((d, k) => k !== axis && d !== first.dims[k])) {
      throw new RangeError(`cannot concatenate shapes [${first.dims.join(', ')}] and [${p.dims.join(', ')}] along axis ${axis}`);
    }
  }
  const outer = sizeOf(first.dims.slice(0, axis));
  const inner = sizeOf(first.dims.slice(axis + 1));
  const out = ctx.alloc(first.dtype, [...first.dims.slice(0, axis), total, ...first.dims.slice(axis + 1)]);
  const dst = out.data as unknown as Indexed;
  let offset = 0;
  for (const p of parts) {
    const src = p.data as unknown as Indexed;
    const len = p.dims[axis] * inner;
    for (let o = 0; o < outer; o++) for (let k = 0; k < len; k++) dst[o * total * inner + offset + k] = src[o * len + k];
    offset += len;
  }
  return out;
}

/** The slice [start, start + len) of `t` along `axis`. */
function sliceAlong(t: Tensor, axis: number, start: number, len: number, ctx: RunContext): Tensor {
  const outer = sizeOf(t.dims.slice(0, axis));
  const inner = sizeOf(t.dims.slice(axis + 1));
  const n = t.dims[axis];
  const out = ctx.alloc(t.dtype, [...t.dims.slice(0, axis), len, ...t.dims.slice(axis + 1)]);
  const src = t.data as unknown as Indexed;
  const dst = out.data as unknown as Indexed;
  for (let o = 0; o < outer; o++) for (let k = 0; k < len * inner; k++) dst[o * len * inner + k] = src[(o * n + start) * inner + k];
  return out;
}

export const sequenceOps: readonly BuiltinOp[] = [
  simple('SequenceEmpty', (ctx) => {
    const dt = ctx.attrs.get('dtype');
    const elem: DType = typeof dt === 'number' ? dtypeOf(dt) ?? 'float32' : 'float32';
    const empty = new TensorSequence(elem, []);
    return { outputTypes: [elem], run: () => [empty] };
  }),
  simple('SequenceConstruct', (ctx) => ({
    outputTypes: [ctx.inputTypes[0] ?? undefined],
    run: (inputs, rc) => {
      const items = inputs.map((v, i) => tensorIn(ctx, v, i));
      if (items.some((t) => t.dtype !== items[0].dtype)) ctx.fail('all inputs must have one dtype');
      return held(rc, [new TensorSequence(items[0]?.dtype, items)]);
    },
  })),
  simple('SequenceInsert', (ctx) => ({
    outputTypes: [ctx.inputTypes[0] ?? undefined],
    run: (inputs, rc) => {
      const s = seqIn(ctx, inputs[0], 0);
      const t = tensorIn(ctx, inputs[1], 1);
      if (s.elemType && t.dtype !== s.elemType) ctx.fail(`tensor dtype ${t.dtype} differs from the sequence's ${s.elemType}`, { inputIndex: 1 });
      const at = inputs[2] ? position(ctx, inputs[2], 2, s.length, true) : s.length;
      const items = [...s.items];
      items.splice(at, 0, t);
      return held(rc, [new TensorSequence(s.elemType ?? t.dtype, items)]);
    },
  })),
  simple('SequenceAt', (ctx) => ({
    outputTypes: [ctx.inputTypes[0] ?? undefined],
    run: (inputs, rc) => {
      const s = seqIn(ctx, inputs[0], 0);
      return held(rc, [s.items[position(ctx, inputs[1], 1, s.length, false)]]);
    },
  })),
  simple('SequenceErase', (ctx) => ({
    outputTypes: [ctx.inputTypes[0] ?? undefined],
    run: (inputs, rc) => {
      const s = seqIn(ctx, inputs[0], 0);
      const at = inputs[1] ? position(ctx, inputs[1], 1, s.length, false) : s.length - 1;
      if (at < 0) ctx.fail('cannot erase from an empty sequence');
      const items = [...s.items];
      items.splice(at, 1);
      return held(rc, [new TensorSequence(s.elemType, items)]);
    },
  })),
  simple('SequenceLength', (ctx) => ({
    outputTypes: ['int64'],
    run: (inputs) => [int64Scalar(seqIn(ctx, inputs[0], 0).length)],
  })),
  simple('ConcatFromSequence', (ctx) => {
    const axisAttr = ctx.attrs.get('axis');
    if (typeof axisAttr !== 'number') ctx.fail('attribute "axis" (int) is required', { attribute: 'axis' });
    const newAxis = ctx.attrs.get('new_axis') === 1;
    return {
      outputTypes: [ctx.inputTypes[0] ?? undefined],
      run: (inputs, rc) => {
        const s = seqIn(ctx, inputs[0], 0);
        if (s.length === 0) ctx.fail('cannot concatenate an empty sequence');
        const rank = s.items[0].dims.length + (newAxis ? 1 : 0);
        const axis = (axisAttr as number) < 0 ? (axisAttr as number) + rank : (axisAttr as number);
        if (axis < 0 || axis >= rank) ctx.fail(`axis ${axisAttr as number} is out of range for rank ${rank}`, { attribute: 'axis' });
        const out = newAxis ? stackAlong(s.items, axis, s.items[0].dtype, [], rc.pool) : concatAlong(s.items, axis, rc.pool);
        return held(rc, [out]);
      },
    };
  }),
  simple('SplitToSequence', (ctx) => {
    const axisAttr = ctx.attrs.get('axis');
    const keepdims = ctx.attrs.get('keepdims') !== 0;
    return {
      outputTypes: [ctx.inputTypes[0] ?? undefined],
      run: (inputs, rc) => {
        const x = tensorIn(ctx, inputs[0], 0);
        const rank = x.dims.length;
        const a = typeof axisAttr === 'number' ? axisAttr : 0;
        const axis = a < 0 ? a + rank : a;
        if (axis < 0 || axis >= rank) ctx.fail(`axis ${a} is out of range for rank ${rank}`, { attribute: 'axis' });
        const n = x.dims[axis];
        const split = inputs[1] ? tensorIn(ctx, inputs[1], 1) : undefined;
        const items: Tensor[] = [];
        if (!split) {
          for (let i = 0; i < n; i++) items.push(keepdims ? sliceAlong(x, axis, i, 1, rc.pool) : takeAlong(x, axis, i, rc.pool));
        } else {
          const sizes = Array.from(split.data as ArrayLike<number | bigint>, Number);
          let lengths: number[];
          if (split.dims.length === 0) {
            const k = sizes[0];
            if (k <= 0) ctx.fail(`split size ${k} must be positive`, { inputIndex: 1 });
            lengths = [];
            for (let left = n; left > 0; left -= k) lengths.push(Math.min(k, left));
          } else lengths = sizes;
          if (lengths.reduce((p, q) => p + q, 0) !== n) ctx.fail(`split sizes [${lengths.join(', ')}] do not add up to ${n}`, { inputIndex: 1 });
          let start = 0;
          for (const len of lengths) {
            items.push(sliceAlong(x, axis, start, len, rc.pool));
            start += len;
          }
        }
        return held(rc, [new TensorSequence(x.dtype, items)]);
      },
    };
  }),
  {
    opType: 'SequenceMap',
    sinceVersion: 17,
    create(ctx) {
      const body = requireGraph(ctx, 'body');
      const plan = ctx.compileSubgraph('body', body);
      const nOut = ctx.node.outputs.length;
      return {
        subplans: [plan],
        outputTypes: body.outputs.map(() => undefined),
        run(inputs, rc) {
          const first = seqIn(ctx, inputs[0], 0);
          const n = first.length;
          inputs.forEach((v, i) => {
            if (v instanceof TensorSequence && v.length !== n) ctx.fail(`sequence input[${i}] has length ${v.length}, input[0] has ${n}`, { inputIndex: i });
          });
          const outs: Tensor[][] = Array.from({ length: nOut }, () => []);
          for (let k = 0; k < n; k++) {
            const args = inputs.map((v) => (v instanceof TensorSequence ? v.items[k] : v));
            const res = rc.runSubgraph(plan, args);
            res.forEach((v, j) => {
              if (!isTensor(v)) return ctx.fail(`body output ${j} must be a tensor`);
              outs[j].push(v);
            });
          }
          // The items keep the transit references runSubgraph gave them; the sequences take them over.
          return outs.map((items, j) => new TensorSequence(items[0]?.dtype ?? declaredElem(body.outputs[j]), items));
        },
      };
    },
  },
  simple('Optional', (ctx) => {
    const t = ctx.attrs.get('type');
    return {
      outputTypes: [ctx.inputTypes[0] ?? undefined],
      run: (inputs, rc) => {
        const v = inputs[0];
        if (v) return held(rc, [v]);
        if (t === undefined) return ctx.fail('an Optional with no input needs the "type" attribute', { attribute: 'type' });
        return [new OptionalNone(undefined)];
      },
    };
  }),
  simple('OptionalHasElement', () => ({
    outputTypes: ['bool'],
    run: (inputs) => [new Tensor('bool', [inputs[0] && !(inputs[0] instanceof OptionalNone) ? 1 : 0], [])],
  })),
  simple('OptionalGetElement', (ctx) => ({
    outputTypes: [ctx.inputTypes[0] ?? undefined],
    run: (inputs, rc) => {
      const v = inputs[0];
      if (!v || v instanceof OptionalNone) return ctx.fail('the optional input holds no element', { inputIndex: 0 });
      return held(rc, [v]);
    },
  })),
];

function declaredElem(v: { type?: { kind: string; elemType?: number } | undefined } | undefined): DType | undefined {
  return v?.type?.kind === 'tensor' && v.type.elemType !== undefined ? dtypeOf(v.type.elemType) : undefined;
}
