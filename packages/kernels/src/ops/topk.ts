/**
 * TopK(axis=-1, largest=1, sorted=1): the k largest (or smallest) elements along `axis` and their int64 indices.
 * k is an attribute at opset 1 and a 1-element int64 input from opset 10. Order: by value (descending for largest,
 * ascending otherwise); equal values keep ascending index order (stable, as the ONNX reference). NaN sorts as
 * larger than any number. sorted=0 returns the same order (allowed: the order is then unspecified).
 * Example: TopK([1, 3, 3, 2], k=2) -> values [3, 3], indices [1, 2].
 */
import type { KernelVariant } from '../contract.js';
import { attrInt } from './util/attrs.js';
import { axisGroups } from './util/axes-groups.js';
import { normAxis } from './util/broadcast.js';
import { kernelError, need } from './util/fail.js';
import { elems } from './util/index-data.js';
import { toInts, toNumbers } from './util/values.js';
import { scalarKernel } from './util/variant.js';

export const TOPK_KERNELS: KernelVariant[] = [
  scalarKernel('TopK', (node) => {
    const axisAttr = attrInt(node, 'axis', -1);
    const largest = attrInt(node, 'largest', 1) !== 0;
    const kAttr = attrInt(node, 'k', -1);
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      const k = node.opset < 10 ? kAttr : toInts(need(node, inputs, 1))[0];
      const axis = normAxis(node, axisAttr, x.dims.length);
      const d = x.dims[axis];
      if (!(k >= 0 && k <= d)) throw kernelError(node, 'k', { inputIndex: 1, expected: `in [0, ${d}]`, actual: String(k) });
      const dims = x.dims.map((v, i) => (i === axis ? k : v));
      const values = ctx.alloc(x.dtype, dims);
      const indices = ctx.alloc('int64', dims);
      const { order, groups, groupSize } = axisGroups(x.dims, [axis]);
      const { order: outOrder } = axisGroups(dims, [axis]);
      const X = toNumbers(x);
      const XE = elems(x);
      const VE = elems(values);
      const key = (v: number): number => (v !== v ? Infinity : v);
      for (let g = 0; g < groups; g++) {
        const idx = Array.from({ length: groupSize }, (_, i) => i);
        const s = g * groupSize;
        idx.sort((a, b) => {
          const va = key(X[order[s + a]]);
          const vb = key(X[order[s + b]]);
          const nanA = X[order[s + a]] !== X[order[s + a]];
          const nanB = X[order[s + b]] !== X[order[s + b]];
          if (nanA !== nanB) return largest ? (nanA ? -1 : 1) : nanA ? 1 : -1;
          if (va !== vb) return largest ? (vb > va ? 1 : -1) : va > vb ? 1 : -1;
          return a - b;
        });
        for (let j = 0; j < k; j++) {
          const o = outOrder[g * k + j];
          VE[o] = XE[order[s + idx[j]]];
          indices.data[o] = BigInt(idx[j]);
        }
      }
      return [values, indices];
    };
  }),
];
