/**
 * CenterCropPad(input, shape, axes): each listed axis is center-cropped (target < d: start at floor((d - t) / 2))
 * or zero-padded (target > d: the input starts at floor((t - d) / 2)) to its target length.
 * Example: [1, 2, 3, 4, 5] to 3 -> [2, 3, 4]; [1, 2] to 5 -> [0, 1, 2, 0, 0].
 */
import type { KernelVariant } from '../contract.js';
import { allocData } from '../tensor.js';
import { attrInts } from './util/attrs.js';
import { normAxis, stridesOf } from './util/broadcast.js';
import { kernelError, need } from './util/fail.js';
import { elems } from './util/index-data.js';
import { toInts, writeNumbers } from './util/values.js';
import { scalarKernel } from './util/variant.js';

export const CENTER_CROP_PAD_KERNELS: KernelVariant[] = [
  scalarKernel('CenterCropPad', (node) => {
    const axesAttr = attrInts(node, 'axes');
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      const shape = toInts(need(node, inputs, 1));
      const rank = x.dims.length;
      const axes = (axesAttr ?? x.dims.map((_, i) => i)).map((a) => normAxis(node, a, rank, 'axes'));
      if (shape.length !== axes.length) throw kernelError(node, 'shape length', { inputIndex: 1, expected: String(axes.length), actual: String(shape.length) });
      const dims = [...x.dims];
      const shift = new Array<number>(rank).fill(0);
      axes.forEach((a, i) => {
        const d = x.dims[a];
        const t = shape[i];
        dims[a] = t;
        shift[a] = t <= d ? Math.floor((d - t) / 2) : -Math.floor((t - d) / 2);
      });
      const out = ctx.alloc(x.dtype, dims);
      const zero = allocData(x.dtype, 1);
      if (x.dtype !== 'string') writeNumbers(x.dtype, zero, [0]);
      const Z = (zero as unknown as ArrayLike<unknown>)[0];
      const xs = stridesOf(x.dims);
      const os = stridesOf(dims);
      const X = elems(x);
      const O = elems(out);
      for (let k = 0; k < O.length; k++) {
        let rem = k;
        let off = 0;
        let inside = true;
        for (let a = 0; a < rank; a++) {
          const o = Math.floor(rem / os[a]);
          rem -= o * os[a];
          const s = o + shift[a];
          if (s < 0 || s >= x.dims[a]) {
            inside = false;
            break;
          }
          off += s * xs[a];
        }
        O[k] = inside ? X[off] : Z;
      }
      return [out];
    };
  }),
];
