/**
 * Compress(condition, axis): keeps the slices along `axis` (or of the flattened input, without `axis`) where condition
 * is true; a condition shorter than the axis counts the missing entries as false. Elements move bit for bit.
 * Example: Compress([[1, 2], [3, 4]], [false, true], axis=0) = [[3, 4]].
 */
import type { KernelVariant } from '../contract.js';
import { attrInt } from './util/attrs.js';
import { normAxis } from './util/broadcast.js';
import { need } from './util/fail.js';
import { elems } from './util/index-data.js';
import { scalarKernel } from './util/variant.js';

export const COMPRESS_KERNELS: KernelVariant[] = [
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
];
