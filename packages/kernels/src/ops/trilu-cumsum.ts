/**
 * Trilu(upper=1, k=0): keeps the upper (j - i >= k) or lower (j - i <= k) triangle of the last two dims, zeroes the
 * rest. CumSum(axis input, exclusive=0, reverse=0): running sums along `axis` in double (exact BigInt for int64);
 * exclusive shifts by one (first element 0), reverse runs from the end. Example: CumSum([1,2,3]) = [1,3,6],
 * exclusive -> [0,1,3], reverse -> [6,5,3].
 */
import type { KernelVariant } from '../contract.js';
import { allocData } from '../tensor.js';
import { attrInt } from './util/attrs.js';
import { axisGroups } from './util/axes-groups.js';
import { normAxis } from './util/broadcast.js';
import { kernelError, need } from './util/fail.js';
import { elems } from './util/index-data.js';
import { isBig, toInts, toNumbers, writeNumbers } from './util/values.js';
import { scalarKernel } from './util/variant.js';

export const TRILU_CUMSUM_KERNELS: KernelVariant[] = [
  scalarKernel('Trilu', (node) => {
    const upper = attrInt(node, 'upper', 1) !== 0;
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      if (x.dims.length < 2) throw kernelError(node, 'rank', { inputIndex: 0, expected: '>= 2', actual: String(x.dims.length) });
      const k = inputs[1] ? toInts(inputs[1])[0] : 0;
      const rows = x.dims[x.dims.length - 2];
      const cols = x.dims[x.dims.length - 1];
      const out = ctx.alloc(x.dtype, x.dims);
      const X = elems(x);
      const O = elems(out);
      const zero = allocData(x.dtype, 1) as unknown as { [i: number]: unknown };
      writeNumbers(x.dtype, zero as never, [0]);
      for (let p = 0; p < O.length; p++) {
        const j = p % cols;
        const i = Math.floor(p / cols) % rows;
        const keep = upper ? j - i >= k : j - i <= k;
        O[p] = keep ? X[p] : zero[0];
      }
      return [out];
    };
  }),
  scalarKernel('CumSum', (node) => {
    const exclusive = attrInt(node, 'exclusive', 0) !== 0;
    const reverse = attrInt(node, 'reverse', 0) !== 0;
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      const axis = normAxis(node, toInts(need(node, inputs, 1))[0], x.dims.length);
      const { order, groups, groupSize } = axisGroups(x.dims, [axis]);
      const out = ctx.alloc(x.dtype, x.dims);
      if (isBig(x.dtype)) {
        const X = x.data as BigInt64Array;
        const O = out.data as BigInt64Array;
        for (let g = 0; g < groups; g++) {
          let acc = 0n;
          for (let t = 0; t < groupSize; t++) {
            const i = order[g * groupSize + (reverse ? groupSize - 1 - t : t)];
            if (exclusive) { O[i] = acc; acc += X[i]; } else { acc += X[i]; O[i] = acc; }
          }
        }
        return [out];
      }
      const X = toNumbers(x);
      const vals = new Float64Array(X.length);
      for (let g = 0; g < groups; g++) {
        let acc = 0;
        for (let t = 0; t < groupSize; t++) {
          const i = order[g * groupSize + (reverse ? groupSize - 1 - t : t)];
          if (exclusive) { vals[i] = acc; acc += X[i]; } else { acc += X[i]; vals[i] = acc; }
        }
      }
      writeNumbers(x.dtype, out.data, vals);
      return [out];
    };
  }),
];
