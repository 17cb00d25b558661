/**
 * ScatterND(data, indices, updates, reduction) and ScatterElements(data, indices, updates, axis, reduction):
 * the output is a copy of data where the addressed elements are replaced (reduction "none") or combined with the
 * update ("add", "mul", "max", "min"), applied in update order. ScatterND: indices [..., k] address slices
 * data[i_0..i_{k-1}, :...]; ScatterElements: out[i with i[axis] = indices[i]] = updates[i]. Negative indices count
 * from the end. Combination is in double, rounded once per store into data's dtype (exact BigInt for int64).
 * Scatter (deprecated, opset < 11) is ScatterElements without reduction.
 * TensorScatter(past_cache, update, write_indices, mode linear|circular, axis=-2): writes update's sequence into a
 * copy of the cache at write_indices[batch] (+ s, modulo the cache length when circular).
 * Example: ScatterElements([1,2,3], [0,0], [5,6], reduction=add) = [12, 2, 3].
 */
import type { KernelNode, KernelVariant, RunContext } from '../contract.js';
import type { Tensor } from '../tensor.js';
import { attrInt, attrString } from './util/attrs.js';
import { normAxis, stridesOf } from './util/broadcast.js';
import { copyTo } from './util/elementwise.js';
import { kernelError, need } from './util/fail.js';
import { elems } from './util/index-data.js';
import { isBig, toNumbers, writeNumbers } from './util/values.js';
import { scalarKernel } from './util/variant.js';

type Combine = (a: number, b: number) => number;
type CombineBig = (a: bigint, b: bigint) => bigint;

const COMBINE: Record<string, [Combine, CombineBig] | undefined> = {
  add: [(a, b) => a + b, (a, b) => a + b],
  mul: [(a, b) => a * b, (a, b) => a * b],
  max: [(a, b) => Math.max(a, b), (a, b) => (a > b ? a : b)],
  min: [(a, b) => Math.min(a, b), (a, b) => (a < b ? a : b)],
};

function reductionOf(node: KernelNode): string {
  const r = attrString(node, 'reduction', 'none');
  if (r !== 'none' && !COMBINE[r]) throw kernelError(node, 'attribute "reduction"', { expected: 'none|add|mul|max|min', actual: r });
  return r;
}

/** Applies updates at flat positions `targets[i]` of a copy of `data`. */
function scatterFlat(data: Tensor, targets: ArrayLike<number>, updates: Tensor, reduction: string, ctx: RunContext): Tensor {
  const out = copyTo(data, ctx);
  const n = targets.length;
  if (reduction === 'none' || data.dtype === 'string' || data.dtype === 'bool') {
    const O = elems(out);
    const U = elems(updates);
    for (let i = 0; i < n; i++) O[targets[i]] = U[i];
    return out;
  }
  const [f, g] = COMBINE[reduction]!;
  if (isBig(data.dtype)) {
    const O = out.data as BigInt64Array;
    const U = updates.data as BigInt64Array;
    for (let i = 0; i < n; i++) O[targets[i]] = g(O[targets[i]], U[i]);
    return out;
  }
  const vals = Float64Array.from(toNumbers(data));
  const U = toNumbers(updates);
  for (let i = 0; i < n; i++) vals[targets[i]] = f(vals[targets[i]], U[i]);
  writeNumbers(data.dtype, out.data, vals);
  return out;
}

export const SCATTER_KERNELS: KernelVariant[] = [
  scalarKernel('ScatterND', (node) => {
    const reduction = reductionOf(node);
    return (inputs, ctx) => {
      const data = need(node, inputs, 0);
      const ind = need(node, inputs, 1);
      const upd = need(node, inputs, 2);
      const k = ind.dims[ind.dims.length - 1];
      if (k > data.dims.length) throw kernelError(node, 'indices last dim', { inputIndex: 1, expected: `<= ${data.dims.length}`, actual: String(k) });
      const st = stridesOf(data.dims);
      const slice = data.dims.slice(k).reduce((p, d) => p * d, 1);
      const I = toNumbers(ind);
      const count = I.length / Math.max(k, 1);
      if (upd.data.length !== count * slice) {
        throw kernelError(node, 'updates size', { inputIndex: 2, expected: String(count * slice), actual: String(upd.data.length) });
      }
      const targets = new Int32Array(count * slice);
      for (let c = 0; c < count; c++) {
        let base = 0;
        for (let j = 0; j < k; j++) {
          let v = I[c * k + j];
          const d = data.dims[j];
          if (v < 0) v += d;
          if (v < 0 || v >= d) throw kernelError(node, 'index out of range', { inputIndex: 1, expected: `in [${-d}, ${d - 1}]`, actual: String(I[c * k + j]) });
          base += v * st[j];
        }
        for (let s = 0; s < slice; s++) targets[c * slice + s] = base + s;
      }
      return [scatterFlat(data, targets, upd, reduction, ctx)];
    };
  }),
  scalarKernel('ScatterElements', (node) => {
    const reduction = reductionOf(node);
    const axisAttr = attrInt(node, 'axis', 0);
    return (inputs, ctx) => {
      const data = need(node, inputs, 0);
      const ind = need(node, inputs, 1);
      const upd = need(node, inputs, 2);
      const rank = data.dims.length;
      const axis = normAxis(node, axisAttr, rank);
      const ds = stridesOf(data.dims);
      const is = stridesOf(ind.dims);
      const I = toNumbers(ind);
      const targets = new Int32Array(I.length);
      for (let p = 0; p < I.length; p++) {
        let rem = p;
        let off = 0;
        for (let a = 0; a < rank; a++) {
          const c = Math.floor(rem / is[a]);
          rem -= c * is[a];
          if (a === axis) {
            const d = data.dims[axis];
            const v = I[p] < 0 ? I[p] + d : I[p];
            if (v < 0 || v >= d) throw kernelError(node, 'index out of range', { inputIndex: 1, expected: `in [${-d}, ${d - 1}]`, actual: String(I[p]) });
            off += v * ds[a];
          } else off += c * ds[a];
        }
        targets[p] = off;
      }
      return [scatterFlat(data, targets, upd, reduction, ctx)];
    };
  }),
  scalarKernel('TensorScatter', (node) => {
    const axisAttr = attrInt(node, 'axis', -2);
    const mode = attrString(node, 'mode', 'linear');
    if (mode !== 'linear' && mode !== 'circular') throw kernelError(node, 'attribute "mode"', { expected: 'linear or circular', actual: mode });
    return (inputs, ctx) => {
      const cache = need(node, inputs, 0);
      const upd = need(node, inputs, 1);
      const rank = cache.dims.length;
      const axis = normAxis(node, axisAttr, rank);
      if (upd.dims.length !== rank || upd.dims.some((d, i) => (i === axis ? d > cache.dims[i] : d !== cache.dims[i]))) {
        throw kernelError(node, 'update shape', { inputIndex: 1, expected: `[${cache.dims}] with at most ${cache.dims[axis]} on axis ${axis}`, actual: `[${upd.dims}]` });
      }
      const wi = inputs[2] ? toNumbers(inputs[2]) : undefined;
      const out = ctx.alloc(cache.dtype, cache.dims);
      const O = elems(out);
      const C = elems(cache);
      for (let i = 0; i < O.length; i++) O[i] = C[i];
      const U = elems(upd);
      const max = cache.dims[axis];
      const seq = upd.dims[axis];
      const inner = cache.dims.slice(axis + 1).reduce((p, d) => p * d, 1);
      const outer = cache.dims.slice(0, axis).reduce((p, d) => p * d, 1);
      const perBatch = outer / Math.max(cache.dims[0] ?? 1, 1);
      for (let o = 0; o < outer; o++) {
        const b = axis === 0 ? 0 : Math.floor(o / perBatch);
        for (let s = 0; s < seq; s++) {
          let t = (wi ? wi[b] : 0) + s;
          if (mode === 'circular') t %= max;
          if (t < 0 || t >= max) throw kernelError(node, 'write index out of range', { inputIndex: 2, expected: `< ${max}`, actual: String(t) });
          for (let j = 0; j < inner; j++) O[(o * max + t) * inner + j] = U[(o * seq + s) * inner + j];
        }
      }
      return [out];
    };
  }),
  scalarKernel('Scatter', (node) => {
    const inner = SCATTER_KERNELS.find((k) => k.key === 'ScatterElements:*')!.create(node);
    return (inputs, ctx) => inner.run(inputs, ctx);
  }),
];
