/**
 * Softmax / LogSoftmax / Hardmax.
 * Opset >= 13: along one `axis` (default -1). Opset < 13: the input is viewed as 2-D [prod(d[:axis]), prod(d[axis:])]
 * (axis default 1) and normalized over the second dim.
 * Softmax: y = exp(x - max) / sum(exp(x - max)); LogSoftmax: y = x - max - log(sum(exp(x - max))); both in double,
 * rounded once into the input dtype. Hardmax: 1 at the first maximum, 0 elsewhere.
 * Example: Softmax([1, 2, 3]) = [0.09003057, 0.24472848, 0.66524094].
 */
import type { KernelVariant } from '../contract.js';
import { attrInt } from './util/attrs.js';
import { axisGroups } from './util/axes-groups.js';
import { normAxis } from './util/broadcast.js';
import { need } from './util/fail.js';
import { toNumbers, writeNumbers } from './util/values.js';
import { scalarKernel } from './util/variant.js';

type Kind = 'Softmax' | 'LogSoftmax' | 'Hardmax';

function softmaxKernel(opType: Kind): KernelVariant {
  return scalarKernel(opType, (node) => {
    const modern = node.opset >= 13;
    const axisAttr = attrInt(node, 'axis', modern ? -1 : 1);
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      const rank = x.dims.length;
      const axis = normAxis(node, axisAttr, Math.max(rank, 1));
      const axes = modern ? [axis] : Array.from({ length: rank - axis }, (_, i) => axis + i);
      const { order, groups, groupSize } = axisGroups(x.dims, axes);
      const X = toNumbers(x);
      const vals = new Float64Array(X.length);
      for (let g = 0; g < groups; g++) {
        const s = g * groupSize;
        let m = -Infinity;
        let arg = 0;
        for (let i = 0; i < groupSize; i++) {
          const v = X[order[s + i]];
          if (v > m) {
            m = v;
            arg = i;
          }
        }
        if (opType === 'Hardmax') {
          for (let i = 0; i < groupSize; i++) vals[order[s + i]] = i === arg ? 1 : 0;
          continue;
        }
        let sum = 0;
        for (let i = 0; i < groupSize; i++) sum += Math.exp(X[order[s + i]] - m);
        if (opType === 'Softmax') {
          for (let i = 0; i < groupSize; i++) vals[order[s + i]] = Math.exp(X[order[s + i]] - m) / sum;
        } else {
          const ls = Math.log(sum);
          for (let i = 0; i < groupSize; i++) vals[order[s + i]] = X[order[s + i]] - m - ls;
        }
      }
      const out = ctx.alloc(x.dtype, x.dims);
      writeNumbers(x.dtype, out.data, vals);
      return [out];
    };
  });
}

export const SOFTMAX_KERNELS: KernelVariant[] = [softmaxKernel('Softmax'), softmaxKernel('LogSoftmax'), softmaxKernel('Hardmax')];
