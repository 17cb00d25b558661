/**
 * More indexing ops:
 * - GatherND(batch_dims b): indices [..., k] pick slices data[batch.., i_0..i_{k-1}, ...]; out.dims =
 *   indices.dims[:-1] + data.dims[b+k:].
 * - Compress(condition, axis): keeps the slices along `axis` (or of the flattened input) where condition is true;
 *   a condition shorter than the axis counts the missing entries as false.
 * - ReverseSequence(sequence_lens, batch_axis=1, time_axis=0): reverses the first sequence_lens[b] steps of batch b.
 * - EyeLike(k, dtype): a 2-D tensor with ones on the k-th diagonal.
 * - Scatter (deprecated, opset < 11): ScatterElements without reduction.
 * - TensorScatter(past_cache, update, write_indices, mode linear|circular, axis=-2): writes update's sequence
 *   into a copy of the cache at write_indices[batch] (+ s, modulo the cache length when circular).
 * - CumProd(axis input, exclusive, reverse): running products (exclusive starts at 1); see cumulative.ts.
 * Negative indices count from the end everywhere. Elements move bit for bit.
 */
import type { KernelVariant } from '../contract.js';
import { attrInt, attrString } from './util/attrs.js';
import { normAxis, stridesOf } from './util/broadcast.js';
import { kernelError, need } from './util/fail.js';
import { elems } from './util/index-data.js';
import { DTYPE_OF_ONNX } from './util/onnx-dtype.js';
import { toInts, toNumbers, writeNumbers } from './util/values.js';
import { scalarKernel } from './util/variant.js';
import { cumulativeKernel } from './cumulative.js';
import { SCATTER_KERNELS } from './scatter.js';

const scatterElements = SCATTER_KERNELS.find((k) => k.key === 'ScatterElements:*')!;

export const INDEXING_EXTRA_KERNELS: KernelVariant[] = [
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
  scalarKernel('Compress', (node) => {
    const hasAxis = node.attrs.has('axis');
    const axisAttr = attrInt(node, 'axis', 0);
    return (inputs, ctx) => {
      let x = need(node, inputs, 0);
      const cond = need(node, inputs, 1).data as Uint8Array;
      if (!hasAxis) x = x.reshape([x.data.length]);
      const axis = normAxis(node, axisAttr, x.dims.length);
      const keep = Array.from({ length: x.dims[axis] }, (_, i) => i).filter((i) => i < cond.length && cond[i]);
      const outer = x.dims.slice(0, axis).reduce((p, d) => p * d, 1);
      const inner = x.dims.slice(axis + 1).reduce((p, d) => p * d, 1);
      const out = ctx.alloc(x.dtype, x.dims.map((d, i) => (i === axis ? keep.length : d)));
      const X = elems(x);
      const O = elems(out);
      let p = 0;
      for (let o = 0; o < outer; o++) {
        for (const i of keep) for (let j = 0; j < inner; j++) O[p++] = X[(o * x.dims[axis] + i) * inner + j];
      }
      return [out];
    };
  }),
  scalarKernel('ReverseSequence', (node) => {
    const batchAxis = attrInt(node, 'batch_axis', 1);
    const timeAxis = attrInt(node, 'time_axis', 0);
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      const lens = toInts(need(node, inputs, 1));
      const st = stridesOf(x.dims);
      const out = ctx.alloc(x.dtype, x.dims);
      const X = elems(x);
      const O = elems(out);
      for (let p = 0; p < O.length; p++) {
        const b = Math.floor(p / st[batchAxis]) % x.dims[batchAxis];
        const t = Math.floor(p / st[timeAxis]) % x.dims[timeAxis];
        const src = t < lens[b] ? p + (lens[b] - 1 - 2 * t) * st[timeAxis] : p;
        O[p] = X[src];
      }
      return [out];
    };
  }),
  scalarKernel('EyeLike', (node) => {
    const k = attrInt(node, 'k', 0);
    const code = attrInt(node, 'dtype', 0);
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      if (x.dims.length !== 2) throw kernelError(node, 'rank', { inputIndex: 0, expected: '2', actual: String(x.dims.length) });
      const dtype = code ? DTYPE_OF_ONNX[code] : x.dtype;
      if (!dtype) throw kernelError(node, 'attribute "dtype"', { expected: 'a supported ONNX data type code', actual: String(code) });
      const [r, c] = x.dims;
      const vals = new Float64Array(r * c);
      for (let i = 0; i < r; i++) if (i + k >= 0 && i + k < c) vals[i * c + i + k] = 1;
      const out = ctx.alloc(dtype, [r, c]);
      writeNumbers(dtype, out.data, vals);
      return [out];
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
    const inner = scatterElements.create(node);
    return (inputs, ctx) => inner.run(inputs, ctx);
  }),
  cumulativeKernel('CumProd'),
];
