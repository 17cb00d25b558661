/**
 * ReverseSequence(sequence_lens, batch_axis=1, time_axis=0): reverses the first sequence_lens[b] steps of batch b
 * along time_axis; later steps stay. Elements move bit for bit.
 * Example: x [[1, 2, 3]] (batch 0 along axis 0, time along axis 1), lens [2], batch_axis 0, time_axis 1 -> [[2, 1, 3]].
 */
import type { KernelVariant } from '../contract.js';
import { attrInt } from './util/attrs.js';
import { stridesOf } from './util/broadcast.js';
import { need } from './util/fail.js';
import { elems } from './util/index-data.js';
import { toInts } from './util/values.js';
import { scalarKernel } from './util/variant.js';

export const REVERSE_SEQUENCE_KERNELS: KernelVariant[] = [
  scalarKernel('ReverseSequence', (node) => {
    const batchAxis = attrInt(node, 'batch_axis', 1);
    const timeAxis = attrInt(node, 'time_axis', 0);
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      const lens = toInts(need(node, inputs, 1));
      const st = stridesOf(x.dims);
      const out = ctx.alloc(x.dtype, x.dims);
      const X = elems(x);
      const O = elems(out);
      for (let p = 0; p < O.length; p++) {
        const b = Math.floor(p / st[batchAxis]) % x.dims[batchAxis];
        const t = Math.floor(p / st[timeAxis]) % x.dims[timeAxis];
        const src = t < lens[b] ? p + (lens[b] - 1 - 2 * t) * st[timeAxis] : p;
        O[p] = X[src];
      }
      return [out];
    };
  }),
];
