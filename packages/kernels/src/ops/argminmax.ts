/**
 * ArgMax / ArgMin along `axis` (int64 output). keepdims (default 1); select_last_index=1 returns the last of equal
 * extremes, otherwise the first. A NaN is treated as the extreme (numpy argmax semantics: the first NaN wins).
 * Example: ArgMax([[2, 9, 9]], axis=1) = [[1]], with select_last_index=1 -> [[2]].
 */
import type { KernelVariant } from '../contract.js';
import { attrInt } from './util/attrs.js';
import { axisGroups } from './util/axes-groups.js';
import { normAxis } from './util/broadcast.js';
import { need } from './util/fail.js';
import { toNumbers } from './util/values.js';
import { scalarKernel } from './util/variant.js';

function argKernel(opType: 'ArgMax' | 'ArgMin'): KernelVariant {
  const better = opType === 'ArgMax' ? (a: number, b: number) => a > b : (a: number, b: number) => a < b;
  return scalarKernel(opType, (node) => {
    const axisAttr = attrInt(node, 'axis', 0);
    const keepdims = attrInt(node, 'keepdims', 1) !== 0;
    const last = attrInt(node, 'select_last_index', 0) !== 0;
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      const axis = normAxis(node, axisAttr, x.dims.length);
      const dims = keepdims ? x.dims.map((d, i) => (i === axis ? 1 : d)) : x.dims.filter((_, i) => i !== axis);
      const { order, groups, groupSize } = axisGroups(x.dims, [axis]);
      const X = toNumbers(x);
      const out = ctx.alloc('int64', dims);
      for (let g = 0; g < groups; g++) {
        let best = 0;
        let bv = X[order[g * groupSize]];
        for (let i = 1; i < groupSize; i++) {
          const v = X[order[g * groupSize + i]];
          if (bv !== bv) break;
          if (v !== v || better(v, bv) || (last && v === bv)) {
            best = i;
            bv = v;
          }
        }
        out.data[g] = BigInt(best);
      }
      return [out];
    };
  });
}

export const ARGMINMAX_KERNELS: KernelVariant[] = [argKernel('ArgMax'), argKernel('ArgMin')];
