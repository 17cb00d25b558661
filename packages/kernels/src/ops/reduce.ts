/**
 * Reductions over `axes`: ReduceSum ReduceMean ReduceMax ReduceMin ReduceProd ReduceL1 ReduceL2 ReduceLogSum
 * ReduceLogSumExp ReduceSumSquare.
 *
 * `axes` is an attribute before opset 13 (ReduceSum) / 18 (the others) and an optional input after. No axes means
 * all axes, unless noop_with_empty_axes=1 (then the input is returned unchanged). keepdims (default 1) keeps reduced
 * axes as 1. Accumulation is in double, rounded once into the input's dtype. Max/Min propagate NaN. Empty reductions
 * give the identity: Sum/L1/L2/SumSquare 0, Prod 1, Max -Inf, Min +Inf, LogSum/LogSumExp -Inf, Mean NaN.
 * LogSumExp is computed as m + log(sum(exp(x - m))) with m the max, so large inputs do not overflow.
 * Example: ReduceL2([[3, 4]], axes=[1]) = [[5]].
 */
import type { KernelNode, KernelVariant } from '../contract.js';
import { attrInt, attrInts } from './util/attrs.js';
import { axisGroups } from './util/axes-groups.js';
import { normAxis } from './util/broadcast.js';
import { copyTo } from './util/elementwise.js';
import { need } from './util/fail.js';
import { toInts, toNumbers, writeNumbers } from './util/values.js';
import { scalarKernel } from './util/variant.js';

type Fold = (x: ArrayLike<number>, order: Int32Array, start: number, len: number) => number;

function sumOf(map: (v: number) => number): Fold {
  return (x, o, s, len) => {
    let acc = 0;
    for (let i = 0; i < len; i++) acc += map(x[o[s + i]]);
    return acc;
  };
}

const id = (v: number): number => v;

const FOLDS: Record<string, Fold> = {
  ReduceSum: sumOf(id),
  ReduceMean: (x, o, s, len) => sumOf(id)(x, o, s, len) / len,
  ReduceSumSquare: sumOf((v) => v * v),
  ReduceL1: sumOf(Math.abs),
  ReduceL2: (x, o, s, len) => Math.sqrt(sumOf((v) => v * v)(x, o, s, len)),
  ReduceLogSum: (x, o, s, len) => Math.log(sumOf(id)(x, o, s, len)),
  ReduceProd: (x, o, s, len) => {
    let acc = 1;
    for (let i = 0; i < len; i++) acc *= x[o[s + i]];
    return acc;
  },
  ReduceMax: (x, o, s, len) => {
    let acc = -Infinity;
    for (let i = 0; i < len; i++) {
      const v = x[o[s + i]];
      if (v !== v) return NaN;
      if (v > acc) acc = v;
    }
    return acc;
  },
  ReduceMin: (x, o, s, len) => {
    let acc = Infinity;
    for (let i = 0; i < len; i++) {
      const v = x[o[s + i]];
      if (v !== v) return NaN;
      if (v < acc) acc = v;
    }
    return acc;
  },
  ReduceLogSumExp: (x, o, s, len) => {
    let m = -Infinity;
    for (let i = 0; i < len; i++) m = Math.max(m, x[o[s + i]]);
    if (m === -Infinity || !Number.isFinite(m)) return len === 0 ? -Infinity : m;
    let acc = 0;
    for (let i = 0; i < len; i++) acc += Math.exp(x[o[s + i]] - m);
    return m + Math.log(acc);
  },
};

function reduceKernel(opType: string): KernelVariant {
  const fold = FOLDS[opType];
  const inputSince = opType === 'ReduceSum' ? 13 : 18;
  return scalarKernel(opType, (node: KernelNode) => {
    const keepdims = attrInt(node, 'keepdims', 1) !== 0;
    const noop = attrInt(node, 'noop_with_empty_axes', 0) !== 0;
    const attrAxes = attrInts(node, 'axes');
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      const rank = x.dims.length;
      const given = node.opset < inputSince ? attrAxes : inputs[1] ? toInts(inputs[1]) : undefined;
      if ((!given || given.length === 0) && noop) return [copyTo(x, ctx)];
      const axes = given && given.length > 0 ? [...new Set(given.map((a) => normAxis(node, a, rank, 'axes')))] : x.dims.map((_, i) => i);
      const dims = keepdims ? x.dims.map((d, i) => (axes.includes(i) ? 1 : d)) : x.dims.filter((_, i) => !axes.includes(i));
      const { order, groups, groupSize } = axisGroups(x.dims, axes);
      const X = toNumbers(x);
      const vals = new Float64Array(groups);
      for (let g = 0; g < groups; g++) vals[g] = fold(X, order, g * groupSize, groupSize);
      const out = ctx.alloc(x.dtype, dims);
      writeNumbers(x.dtype, out.data, vals);
      return [out];
    };
  });
}

export const REDUCE_KERNELS: KernelVariant[] = Object.keys(FOLDS).map(reduceKernel);
