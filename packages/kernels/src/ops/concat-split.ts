/**
 * Concat(axis) joins inputs along `axis` (all other dims equal; empty inputs take part with size 0).
 * Split(axis) is its inverse: `split` sizes come from the attribute (opset < 13) or the optional input (13+);
 * without them the axis is divided evenly over the outputs, or, with `num_outputs` (opset 18), into chunks of
 * ceil(d / num_outputs) with a smaller last chunk. Elements are copied bit for bit, in contiguous runs (the product of
 * the dims from `axis` on, per input or output) with TypedArray `set`; every output element is written.
 */
import type { KernelVariant } from '../contract.js';
import type { Tensor } from '../tensor.js';
import { attrInt, attrInts } from './util/attrs.js';
import { normAxis } from './util/broadcast.js';
import { kernelError, need } from './util/fail.js';
import { copyRun, copyRuns, wordsOf } from './util/copy-runs.js';
import { elems } from './util/index-data.js';
import { toInts } from './util/values.js';
import { scalarKernel } from './util/variant.js';

export const CONCAT_SPLIT_KERNELS: KernelVariant[] = [
  { ...scalarKernel('Concat', (node) => {
    const axisAttr = attrInt(node, 'axis', 0);
    return (inputs, ctx) => {
      const xs = inputs.filter((t): t is Tensor => t !== null);
      if (xs.length === 0) throw kernelError(node, 'needs at least one input', { expected: '>= 1', actual: '0' });
      const ref = xs[0];
      const rank = ref.dims.length;
      const axis = normAxis(node, axisAttr, rank);
      xs.forEach((t, k) => {
        if (t.dtype !== ref.dtype) throw kernelError(node, 'dtype', { inputIndex: k, expected: ref.dtype, actual: t.dtype });
        if (t.dims.length !== rank || t.dims.some((d, i) => i !== axis && d !== ref.dims[i])) {
          throw kernelError(node, 'shape', { inputIndex: k, expected: `[${ref.dims.map((d, i) => (i === axis ? '*' : d))}]`, actual: `[${t.dims}]` });
        }
      });
      const dims = [...ref.dims];
      dims[axis] = xs.reduce((p, t) => p + t.dims[axis], 0);
      const out = ctx.alloc(ref.dtype, dims);
      const outer = dims.slice(0, axis).reduce((p, d) => p * d, 1);
      const inner = dims.slice(axis + 1).reduce((p, d) => p * d, 1);
      const rowOut = dims[axis] * inner;
      const ow = wordsOf(out);
      let off = 0;
      for (const t of xs) {
        const row = t.dims[axis] * inner;
        if (row > 0 && outer > 0) {
          if (ow === undefined) {
            const O = elems(out);
            const X = elems(t);
            for (let o = 0; o < outer; o++) copyRun(O, o * rowOut + off, X, o * row, row);
          } else {
            const p = ow.per;
            copyRuns(ow.words, off * p, rowOut * p, wordsOf(t)!.words, 0, row * p, row * p, outer);
          }
        }
        off += row;
      }
      return [out];
    };
  }), writesAllOutputs: true },
  { ...scalarKernel('Split', (node) => {
    const axisAttr = attrInt(node, 'axis', 0);
    const attrSplit = attrInts(node, 'split');
    const numOutputs = node.attrs.has('num_outputs') ? attrInt(node, 'num_outputs', 0) : undefined;
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      const axis = normAxis(node, axisAttr, x.dims.length);
      const d = x.dims[axis];
      let sizes: number[];
      const given = node.opset < 13 ? attrSplit : inputs[1] ? toInts(inputs[1]) : undefined;
      if (given && given.length > 0) sizes = given;
      else if (numOutputs !== undefined) {
        const chunk = Math.ceil(d / numOutputs);
        sizes = Array.from({ length: numOutputs }, (_, i) => Math.max(0, Math.min(chunk, d - i * chunk)));
      } else {
        const k = node.outputCount;
        if (d % k !== 0) throw kernelError(node, `dim ${axis}`, { inputIndex: 0, expected: `divisible by ${k} outputs`, actual: String(d) });
        sizes = new Array<number>(k).fill(d / k);
      }
      if (sizes.reduce((p, s) => p + s, 0) !== d) {
        throw kernelError(node, 'split sizes', { inputIndex: 1, expected: `sum ${d}`, actual: `[${sizes}]` });
      }
      const outer = x.dims.slice(0, axis).reduce((p, v) => p * v, 1);
      const inner = x.dims.slice(axis + 1).reduce((p, v) => p * v, 1);
      const xw = wordsOf(x);
      let off = 0;
      return sizes.map((s) => {
        const dims = [...x.dims];
        dims[axis] = s;
        const out = ctx.alloc(x.dtype, dims);
        const row = s * inner;
        if (row > 0 && outer > 0) {
          if (xw === undefined) {
            const O = elems(out);
            const X = elems(x);
            for (let o = 0; o < outer; o++) copyRun(O, o * row, X, o * d * inner + off, row);
          } else {
            const p = xw.per;
            copyRuns(wordsOf(out)!.words, 0, row * p, xw.words, off * p, d * inner * p, row * p, outer);
          }
        }
        off += row;
        return out;
      });
    };
  }), writesAllOutputs: true },
];
