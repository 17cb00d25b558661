/**
 * CumSum and CumProd(x, axis input, exclusive=0, reverse=0): running sums or products along `axis`, computed in
 * double and rounded once into the output dtype (exact two's-complement BigInt for int64). `exclusive` shifts by
 * one (the first element is the identity: 0 for sums, 1 for products); `reverse` runs from the end.
 * Example: CumSum([1,2,3]) = [1,3,6], exclusive -> [0,1,3], reverse -> [6,5,3]; CumProd([1,2,3]) = [1,2,6].
 */
import type { KernelVariant } from '../contract.js';
import { attrInt } from './util/attrs.js';
import { axisGroups } from './util/axes-groups.js';
import { normAxis } from './util/broadcast.js';
import { need } from './util/fail.js';
import { isBig, toInts, toNumbers, writeNumbers } from './util/values.js';
import { scalarKernel } from './util/variant.js';

const OPS = {
  CumSum: { identity: 0, big: 0n, step: (a: number, x: number) => a + x, bigStep: (a: bigint, x: bigint) => BigInt.asIntN(64, a + x) },
  CumProd: { identity: 1, big: 1n, step: (a: number, x: number) => a * x, bigStep: (a: bigint, x: bigint) => BigInt.asIntN(64, a * x) },
} as const;

export function cumulativeKernel(op: keyof typeof OPS): KernelVariant {
  const { identity, big, step, bigStep } = OPS[op];
  return scalarKernel(op, (node) => {
    const exclusive = attrInt(node, 'exclusive', 0) !== 0;
    const reverse = attrInt(node, 'reverse', 0) !== 0;
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      const axis = normAxis(node, toInts(need(node, inputs, 1))[0], x.dims.length);
      const { order, groups, groupSize } = axisGroups(x.dims, [axis]);
      const out = ctx.alloc(x.dtype, x.dims);
      const bigints = isBig(x.dtype);
      const X = bigints ? (x.data as BigInt64Array) : toNumbers(x);
      const O = bigints ? (out.data as BigInt64Array) : new Float64Array(X.length);
      for (let g = 0; g < groups; g++) {
        let acc: number | bigint = bigints ? big : identity;
        for (let t = 0; t < groupSize; t++) {
          const i = order[g * groupSize + (reverse ? groupSize - 1 - t : t)];
          const next = bigints ? bigStep(acc as bigint, X[i] as bigint) : step(acc as number, X[i] as number);
          O[i] = (exclusive ? acc : next) as never;
          acc = next;
        }
      }
      if (!bigints) writeNumbers(x.dtype, out.data, O as Float64Array);
      return [out];
    };
  });
}

export const CUMULATIVE_KERNELS: KernelVariant[] = [cumulativeKernel('CumSum'), cumulativeKernel('CumProd')];
