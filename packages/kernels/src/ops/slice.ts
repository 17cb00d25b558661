/**
 * Slice: numpy basic slicing per axis, out = x[start:end:step]. Opset < 10 takes starts/ends/axes as attributes
 * (step 1); from opset 10 they are inputs (axes and steps optional). Negative starts/ends count from the end;
 * for step > 0 both clamp to [0, d], for step < 0 start clamps to [0, d-1] and end to [-1, d-1]. INT64 extremes
 * (used as "to the end") clamp the same way. Output length per axis: max(0, ceil((end - start) / step)).
 * Example: x = [0..9], starts=[-3], ends=[100] -> [7, 8, 9]. Trailing axes of step 1 are copied as contiguous runs
 * (TypedArray `set` on integer views of the bytes, so copies are bit-exact); a negative or non-unit innermost step
 * moves one element per word group. String tensors are copied one element at a time.
 */
import type { KernelVariant } from '../contract.js';
import { attrInts } from './util/attrs.js';
import { normAxis, stridesOf } from './util/broadcast.js';
import { kernelError, need } from './util/fail.js';
import { copyRuns, wordsOf } from './util/copy-runs.js';
import { elems, type Elems } from './util/index-data.js';
import { toInts } from './util/values.js';
import { scalarKernel } from './util/variant.js';

export const SLICE_KERNELS: KernelVariant[] = [
  { ...scalarKernel('Slice', (node) => {
    const aStarts = attrInts(node, 'starts');
    const aEnds = attrInts(node, 'ends');
    const aAxes = attrInts(node, 'axes');
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      const rank = x.dims.length;
      const old = node.opset < 10;
      const starts = old ? aStarts ?? [] : toInts(need(node, inputs, 1));
      const ends = old ? aEnds ?? [] : toInts(need(node, inputs, 2));
      const axesIn = old ? aAxes : inputs[3] ? toInts(inputs[3]) : undefined;
      const steps = !old && inputs[4] ? toInts(inputs[4]) : undefined;
      if (starts.length !== ends.length) throw kernelError(node, 'ends length', { inputIndex: 2, expected: String(starts.length), actual: String(ends.length) });
      const axes = (axesIn ?? starts.map((_, i) => i)).map((a) => normAxis(node, a, rank, 'axes'));
      const st = new Array<number>(rank).fill(0);
      const step = new Array<number>(rank).fill(1);
      const dims = [...x.dims];
      axes.forEach((a, i) => {
        const d = x.dims[a];
        const s = steps ? steps[i] : 1;
        if (s === 0) throw kernelError(node, 'steps', { inputIndex: 4, expected: 'non-zero', actual: '0' });
        let b = starts[i];
        let e = ends[i];
        if (b < 0) b += d;
        if (e < 0) e += d;
        if (s > 0) {
          b = Math.min(Math.max(b, 0), d);
          e = Math.min(Math.max(e, 0), d);
        } else {
          b = Math.min(Math.max(b, 0), d - 1);
          e = Math.min(Math.max(e, -1), d - 1);
        }
        st[a] = b;
        step[a] = s;
        dims[a] = Math.max(0, Math.ceil((e - b) / s));
      });
      const out = ctx.alloc(x.dtype, dims);
      const n = out.data.length;
      if (n === 0) return [out];
      const strides = stridesOf(x.dims);
      let off = 0;
      for (let a = 0; a < rank; a++) off += st[a] * strides[a];
      const xw = wordsOf(x);
      if (xw === undefined) {
        copyElementwise(elems(out), elems(x), off, dims, step, strides);
        return [out];
      }
      // Trailing axes of step 1 form contiguous runs: the innermost such axis, widened outwards while the axis
      // inside is taken whole (run 1 when the innermost step is not 1). Axis k-1 steps through runs in one call,
      // the axes before it by counters.
      let k = rank;
      let run = 1;
      while (k > 0 && step[k - 1] === 1) {
        k--;
        run *= dims[k];
        if (dims[k] !== x.dims[k]) break;
      }
      const per = xw.per;
      const O = wordsOf(out)!.words;
      const X = xw.words;
      if (k === 0) {
        copyRuns(O, 0, 0, X, off * per, 0, run * per, 1);
        return [out];
      }
      const inner = k - 1;
      const count = dims[inner];
      const block = run * count;
      const sStep = step[inner] * strides[inner] * per;
      const counter = new Array<number>(inner).fill(0);
      for (let o = 0; o < n; o += block) {
        copyRuns(O, o * per, run * per, X, off * per, sStep, run * per, count);
        for (let a = inner - 1; a >= 0; a--) {
          counter[a]++;
          off += step[a] * strides[a];
          if (counter[a] < dims[a]) break;
          off -= step[a] * strides[a] * counter[a];
          counter[a] = 0;
        }
      }
      return [out];
    };
  }), writesAllOutputs: true },
];

/** String storage: one element at a time, an odometer over the output's multi-index. */
function copyElementwise(O: Elems, X: Elems, off: number, dims: readonly number[], step: readonly number[], strides: readonly number[]): void {
  const rank = dims.length;
  const D = O as { [i: number]: unknown };
  const counter = new Array<number>(rank).fill(0);
  for (let i = 0; i < O.length; i++) {
    D[i] = X[off];
    for (let a = rank - 1; a >= 0; a--) {
      counter[a]++;
      off += step[a] * strides[a];
      if (counter[a] < dims[a]) break;
      off -= step[a] * strides[a] * counter[a];
      counter[a] = 0;
    }
  }
}
