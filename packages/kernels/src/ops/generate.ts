/**
 * Tensor generators: ConstantOfShape(value) fills a shape (int64 input) with the single element of `value`
 * (default float32 0); Range(start, limit, delta) = [start + i*delta for i < max(ceil((limit-start)/delta), 0)],
 * computed in double (float32 output rounded per element) or exactly in BigInt for int64;
 * OneHot(indices, depth, values=[off, on], axis=-1) inserts a one-hot axis of length depth (negative indices count
 * from the end, out-of-range indices give an all-off row); NonZero(x) = int64 [rank, nnz] coordinates of non-zero
 * elements in row-major order; EyeLike(k, dtype) = a 2-D tensor of x's shape with ones on the k-th diagonal.
 * Example: Range(3, 1, -1) = [3, 2].
 */
import type { KernelVariant } from '../contract.js';
import { Tensor } from '../tensor.js';
import { attrInt, attrTensor } from './util/attrs.js';
import { normAxis, stridesOf } from './util/broadcast.js';
import { kernelError, need } from './util/fail.js';
import { DTYPE_OF_ONNX } from './util/onnx-dtype.js';
import { elems } from './util/index-data.js';
import { isBig, toInts, toNumbers, writeNumbers } from './util/values.js';
import { scalarKernel } from './util/variant.js';

export const GENERATE_KERNELS: KernelVariant[] = [
  scalarKernel('ConstantOfShape', (node) => {
    const value = attrTensor(node, 'value') ?? new Tensor('float32', [0], [1]);
    if (value.data.length !== 1) throw kernelError(node, 'attribute "value"', { expected: 'one element', actual: `${value.data.length}` });
    return (inputs, ctx) => {
      const dims = toInts(need(node, inputs, 0));
      if (dims.some((d) => d < 0)) throw kernelError(node, 'shape', { inputIndex: 0, expected: 'non-negative dims', actual: `[${dims}]` });
      const out = ctx.alloc(value.dtype, dims);
      const O = elems(out);
      const v = elems(value)[0];
      for (let i = 0; i < O.length; i++) O[i] = v;
      return [out];
    };
  }),
  scalarKernel('Range', (node) => (inputs, ctx) => {
    const s = need(node, inputs, 0);
    const l = need(node, inputs, 1);
    const d = need(node, inputs, 2);
    if (isBig(s.dtype)) {
      const a = (s.data as BigInt64Array)[0];
      const b = (l.data as BigInt64Array)[0];
      const st = (d.data as BigInt64Array)[0];
      if (st === 0n) throw kernelError(node, 'delta', { inputIndex: 2, expected: 'non-zero', actual: '0' });
      const span = b - a;
      let n = span / st + (span % st !== 0n ? 1n : 0n);
      if (n < 0n) n = 0n;
      const out = ctx.alloc(s.dtype, [Number(n)]);
      for (let i = 0; i < Number(n); i++) (out.data as BigInt64Array)[i] = a + BigInt(i) * st;
      return [out];
    }
    const a = toNumbers(s)[0];
    const b = toNumbers(l)[0];
    const st = toNumbers(d)[0];
    if (st === 0) throw kernelError(node, 'delta', { inputIndex: 2, expected: 'non-zero', actual: '0' });
    const n = Math.max(Math.ceil((b - a) / st), 0);
    const out = ctx.alloc(s.dtype, [n]);
    const vals = new Float64Array(n);
    for (let i = 0; i < n; i++) vals[i] = a + i * st;
    writeNumbers(s.dtype, out.data, vals);
    return [out];
  }),
  scalarKernel('OneHot', (node) => {
    const axisAttr = attrInt(node, 'axis', -1);
    return (inputs, ctx) => {
      const ind = need(node, inputs, 0);
      const depth = Math.trunc(toNumbers(need(node, inputs, 1))[0]);
      const values = need(node, inputs, 2);
      const rank = ind.dims.length + 1;
      const axis = normAxis(node, axisAttr, rank);
      const dims = [...ind.dims.slice(0, axis), depth, ...ind.dims.slice(axis)];
      const out = ctx.alloc(values.dtype, dims);
      const O = elems(out);
      const [off, on] = [elems(values)[0], elems(values)[1]];
      for (let i = 0; i < O.length; i++) O[i] = off;
      const I = toNumbers(ind);
      const inner = ind.dims.slice(axis).reduce((p, v) => p * v, 1);
      for (let k = 0; k < I.length; k++) {
        let v = Math.trunc(I[k]);
        if (v < 0) v += depth;
        if (v < 0 || v >= depth) continue;
        const outer = Math.floor(k / inner);
        const rest = k % inner;
        O[(outer * depth + v) * inner + rest] = on;
      }
      return [out];
    };
  }),
  scalarKernel('NonZero', (node) => (inputs, ctx) => {
    const x = need(node, inputs, 0);
    const rank = x.dims.length;
    const X = elems(x);
    const hits: number[] = [];
    for (let i = 0; i < X.length; i++) {
      const v = X[i];
      if (v !== 0 && v !== 0n && v !== '' && !(typeof v === 'number' && Object.is(v, -0))) hits.push(i);
    }
    const st = stridesOf(x.dims);
    const out = ctx.alloc('int64', [rank, hits.length]);
    hits.forEach((h, j) => {
      let rem = h;
      for (let a = 0; a < rank; a++) {
        const c = Math.floor(rem / st[a]);
        rem -= c * st[a];
        out.data[a * hits.length + j] = BigInt(c);
      }
    });
    return [out];
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
];
