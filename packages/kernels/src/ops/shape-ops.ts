/**
 * Shape-only ops (data is copied or shared unchanged): Reshape Flatten Squeeze Unsqueeze Identity Expand,
 * and shape queries Shape Size.
 *
 * - Reshape: a 0 in `shape` copies the input dim (unless allowzero=1, opset 14+), one -1 is inferred.
 *   Opset < 5 takes `shape` as an attribute. Output shares the input's storage.
 * - Flatten(axis): [prod(d[0:axis]), prod(d[axis:])], axis may be negative (opset 11+).
 * - Squeeze/Unsqueeze: `axes` attribute before opset 13, optional/required input from 13.
 * - Shape(start, end): dims[start:end] as int64, negative and out-of-range bounds clamp like Python slices.
 * - Expand: broadcast the input to broadcast(input.dims, shape) (numpy semantics, the shape may be smaller).
 */
import type { KernelVariant } from '../contract.js';
import { sameDims, type Tensor } from '../tensor.js';
import { attrInt, attrInts } from './util/attrs.js';
import { broadcastIndex, broadcastShapes, normAxis } from './util/broadcast.js';
import { copyTo } from './util/elementwise.js';
import { kernelError, need } from './util/fail.js';
import { elems } from './util/index-data.js';
import { toInts } from './util/values.js';
import { scalarKernel } from './util/variant.js';

function shapeTensor(ctxAlloc: (dims: number[]) => Tensor<'int64'>, values: readonly number[]): Tensor<'int64'> {
  const t = ctxAlloc([values.length]);
  values.forEach((v, i) => { t.data[i] = BigInt(v); });
  return t;
}

export const SHAPE_KERNELS: KernelVariant[] = [
  scalarKernel('Reshape', (node) => {
    const allowzero = attrInt(node, 'allowzero', 0) !== 0;
    const attrShape = attrInts(node, 'shape');
    // A constant shape input (the usual case) is converted once; `run` still receives it and checks it is that one.
    const constant = node.opset >= 5 ? node.constants?.get(1) : undefined;
    let constShape: number[] | undefined;
    try {
      constShape = constant ? toInts(constant) : undefined;
    } catch {
      constShape = undefined; // a bad shape constant fails at run time, as an input would
    }
    // The output dims worked out for the constant shape and the last input dims met (reused while they stay).
    let lastX: readonly number[] | undefined;
    let lastDims: number[] = [];
    return (inputs) => {
      const x = need(node, inputs, 0);
      const fixedShape = node.opset < 5 || (constShape !== undefined && inputs[1] === constant);
      if (fixedShape && lastX !== undefined && sameDims(x.dims, lastX)) return [x.reshape(lastDims)];
      const shape = node.opset < 5 ? attrShape ?? [] : constShape && inputs[1] === constant ? constShape : toInts(need(node, inputs, 1));
      const dims = shape.map((d, i) => (d === 0 && !allowzero ? x.dims[i] : d));
      const minus = dims.indexOf(-1);
      if (minus >= 0) {
        if (dims.indexOf(-1, minus + 1) >= 0) throw kernelError(node, 'shape', { inputIndex: 1, expected: 'at most one -1', actual: `[${shape}]` });
        const known = dims.reduce((p, d, i) => (i === minus ? p : p * d), 1);
        dims[minus] = known === 0 ? 0 : x.data.length / known;
      }
      const n = dims.reduce((p, d) => p * d, 1);
      if (n !== x.data.length || dims.some((d) => !Number.isInteger(d) || d < 0)) {
        throw kernelError(node, 'shape', { inputIndex: 1, expected: `a shape with ${x.data.length} elements (input [${x.dims}])`, actual: `[${shape}]` });
      }
      if (fixedShape) {
        lastX = x.dims.slice();
        lastDims = dims;
      }
      return [x.reshape(dims)];
    };
  }),
  scalarKernel('Flatten', (node) => {
    const axisAttr = attrInt(node, 'axis', 1);
    return (inputs) => {
      const x = need(node, inputs, 0);
      const axis = axisAttr === x.dims.length ? axisAttr : axisAttr < 0 ? axisAttr + x.dims.length : axisAttr;
      if (axis < 0 || axis > x.dims.length) throw kernelError(node, 'axis', { expected: `in [${-x.dims.length}, ${x.dims.length}]`, actual: String(axisAttr) });
      const outer = x.dims.slice(0, axis).reduce((p, d) => p * d, 1);
      const inner = x.dims.slice(axis).reduce((p, d) => p * d, 1);
      return [x.reshape([outer, inner])];
    };
  }),
  scalarKernel('Squeeze', (node) => {
    const attrAxes = attrInts(node, 'axes');
    return (inputs) => {
      const x = need(node, inputs, 0);
      const given = node.opset < 13 ? attrAxes : inputs[1] ? toInts(inputs[1]) : undefined;
      const rank = x.dims.length;
      const axes = given ? given.map((a) => normAxis(node, a, rank, 'axes')) : x.dims.flatMap((d, i) => (d === 1 ? [i] : []));
      for (const a of axes) {
        if (x.dims[a] !== 1) throw kernelError(node, `dim ${a}`, { inputIndex: 0, expected: '1 (squeezed axis)', actual: String(x.dims[a]) });
      }
      return [x.reshape(x.dims.filter((_, i) => !axes.includes(i)))];
    };
  }),
  scalarKernel('Unsqueeze', (node) => {
    const attrAxes = attrInts(node, 'axes');
    return (inputs) => {
      const x = need(node, inputs, 0);
      const given = node.opset < 13 ? attrAxes : toInts(need(node, inputs, 1));
      if (!given) throw kernelError(node, 'attribute "axes"', { expected: 'a list of ints', actual: 'nothing' });
      const rank = x.dims.length + given.length;
      const axes = given.map((a) => normAxis(node, a, rank, 'axes'));
      if (new Set(axes).size !== axes.length) throw kernelError(node, 'axes', { expected: 'distinct axes', actual: `[${given}]` });
      const dims: number[] = [];
      let j = 0;
      for (let i = 0; i < rank; i++) dims.push(axes.includes(i) ? 1 : x.dims[j++]);
      return [x.reshape(dims)];
    };
  }),
  scalarKernel('Identity', (node) => (inputs) => [need(node, inputs, 0)]),
  scalarKernel('Shape', (node) => {
    const start = attrInt(node, 'start', 0);
    const end = node.attrs.has('end') ? attrInt(node, 'end', 0) : undefined;
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      const r = x.dims.length;
      const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
      const s = clamp(start);
      const e = end === undefined ? r : clamp(end);
      return [shapeTensor((d) => ctx.alloc('int64', d), x.dims.slice(s, Math.max(s, e)))];
    };
  }),
  scalarKernel('Size', (node) => (inputs, ctx) => {
    const x = need(node, inputs, 0);
    const t = ctx.alloc('int64', []);
    t.data[0] = BigInt(x.data.length);
    return [t];
  }),
  scalarKernel('Expand', (node) => (inputs, ctx) => {
    const x = need(node, inputs, 0);
    const shape = toInts(need(node, inputs, 1));
    const dims = broadcastShapes(node, [x.dims, shape]);
    const idx = broadcastIndex(dims, x.dims);
    if (!idx) return [copyTo(x, ctx)];
    const out = ctx.alloc(x.dtype, dims);
    const X = elems(x);
    const O = elems(out);
    for (let i = 0; i < idx.length; i++) O[i] = X[idx[i]];
    return [out];
  }),
];
