/**
 * Trilu(upper=1, k=0): keeps the upper (j - i >= k) or lower (j - i <= k) triangle of the last two dims, zeroes the
 * rest. Example: Trilu([[1, 2], [3, 4]], upper=0) = [[1, 0], [3, 4]].
 */
import type { KernelVariant } from '../contract.js';
import { allocData } from '../tensor.js';
import { attrInt } from './util/attrs.js';
import { kernelError, need } from './util/fail.js';
import { elems } from './util/index-data.js';
import { toInts, writeNumbers } from './util/values.js';
import { scalarKernel } from './util/variant.js';

export const TRILU_KERNELS: KernelVariant[] = [
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
];
