/**
 * Gather(axis): out[i_0..i_{a-1}, j_0..j_{q-1}, i_{a+1}..] = data[i_0.., indices[j], i_{a+1}..]; out.dims =
 * data.dims[:axis] + indices.dims + data.dims[axis+1:].
 * GatherElements(axis): out has indices' shape, out[i] = data[i with i[axis] replaced by indices[i]].
 * Negative indices count from the end; an index outside [-d, d-1] is a KernelError naming the bad value.
 * GatherND(batch_dims b): indices [..., k] pick slices data[batch.., i_0..i_{k-1}, ...]; out.dims =
 * indices.dims[:-1] + data.dims[b+k:].
 * Tile(repeats): out.dims[k] = d[k] * repeats[k], out[i] = x[i mod d].
 */
import type { KernelNode, KernelVariant } from '../contract.js';
import { attrInt } from './util/attrs.js';
import { normAxis, stridesOf } from './util/broadcast.js';
import { kernelError, need } from './util/fail.js';
import { elems } from './util/index-data.js';
import { toNumbers, toInts } from './util/values.js';
import { scalarKernel } from './util/variant.js';

function fixIndex(node: KernelNode, v: number, d: number): number {
  const r = v < 0 ? v + d : v;
  if (!(r >= 0 && r < d)) throw kernelError(node, 'index out of range', { inputIndex: 1, expected: `in [${-d}, ${d - 1}]`, actual: String(v) });
  return r;
}

export const GATHER_KERNELS: KernelVariant[] = [
  scalarKernel('Gather', (node) => {
    const axisAttr = attrInt(node, 'axis', 0);
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      const ind = need(node, inputs, 1);
      const axis = normAxis(node, axisAttr, x.dims.length);
      const d = x.dims[axis];
      const outer = x.dims.slice(0, axis).reduce((p, v) => p * v, 1);
      const inner = x.dims.slice(axis + 1).reduce((p, v) => p * v, 1);
      const I = toNumbers(ind);
      const idx = Array.from(I, (v) => fixIndex(node, v, d));
      const out = ctx.alloc(x.dtype, [...x.dims.slice(0, axis), ...ind.dims, ...x.dims.slice(axis + 1)]);
      const X = elems(x);
      const O = elems(out);
      let k = 0;
      for (let o = 0; o < outer; o++) {
        for (const j of idx) {
          const base = (o * d + j) * inner;
          for (let i = 0; i < inner; i++) O[k++] = X[base + i];
        }
      }
      return [out];
    };
  }),
  scalarKernel('GatherElements', (node) => {
    const axisAttr = attrInt(node, 'axis', 0);
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      const ind = need(node, inputs, 1);
      const rank = x.dims.length;
      const axis = normAxis(node, axisAttr, rank);
      if (ind.dims.length !== rank) throw kernelError(node, 'rank', { inputIndex: 1, expected: String(rank), actual: String(ind.dims.length) });
      const out = ctx.alloc(x.dtype, ind.dims);
      const xs = stridesOf(x.dims);
      const is = stridesOf(ind.dims);
      const I = toNumbers(ind);
      const X = elems(x);
      const O = elems(out);
      for (let k = 0; k < O.length; k++) {
        let rem = k;
        let off = 0;
        for (let a = 0; a < rank; a++) {
          const c = Math.floor(rem / is[a]);
          rem -= c * is[a];
          off += (a === axis ? fixIndex(node, I[k], x.dims[axis]) : c) * xs[a];
        }
        O[k] = X[off];
      }
      return [out];
    };
  }),
  scalarKernel('Tile', (node) => (inputs, ctx) => {
    const x = need(node, inputs, 0);
    const reps = toInts(need(node, inputs, 1));
    const rank = x.dims.length;
    if (reps.length !== rank) throw kernelError(node, 'repeats length', { inputIndex: 1, expected: String(rank), actual: String(reps.length) });
    const dims = x.dims.map((d, i) => d * reps[i]);
    const out = ctx.alloc(x.dtype, dims);
    const xs = stridesOf(x.dims);
    const os = stridesOf(dims);
    const X = elems(x);
    const O = elems(out);
    for (let k = 0; k < O.length; k++) {
      let rem = k;
      let off = 0;
      for (let a = 0; a < rank; a++) {
        const c = Math.floor(rem / os[a]);
        rem -= c * os[a];
        off += (c % x.dims[a]) * xs[a];
      }
      O[k] = X[off];
    }
    return [out];
  }),
  scalarKernel('GatherND', (node) => {
    const b = attrInt(node, 'batch_dims', 0);
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      const ind = need(node, inputs, 1);
      const k = ind.dims[ind.dims.length - 1];
      if (b + k > x.dims.length) throw kernelError(node, 'indices last dim', { inputIndex: 1, expected: `<= ${x.dims.length - b}`, actual: String(k) });
      const batch = x.dims.slice(0, b).reduce((p, d) => p * d, 1);
      const slice = x.dims.slice(b + k).reduce((p, d) => p * d, 1);
      const perBatchData = x.dims.slice(b).reduce((p, d) => p * d, 1);
      const st = stridesOf(x.dims.slice(b));
      const I = toNumbers(ind);
      const tuples = I.length / Math.max(k, 1);
      const perBatchTuples = tuples / batch;
      const out = ctx.alloc(x.dtype, [...ind.dims.slice(0, -1), ...x.dims.slice(b + k)]);
      const X = elems(x);
      const O = elems(out);
      for (let t = 0; t < tuples; t++) {
        const bi = Math.floor(t / perBatchTuples);
        let off = bi * perBatchData;
        for (let j = 0; j < k; j++) {
          const d = x.dims[b + j];
          let v = I[t * k + j];
          if (v < 0) v += d;
          if (v < 0 || v >= d) throw kernelError(node, 'index out of range', { inputIndex: 1, expected: `in [${-d}, ${d - 1}]`, actual: String(I[t * k + j]) });
          off += v * st[j];
        }
        for (let s = 0; s < slice; s++) O[t * slice + s] = X[off + s];
      }
      return [out];
    };
  }),
];
