/**
 * Transpose(perm): out[i_perm(0), ..., i_perm(r-1)] ... i.e. out.dims[k] = in.dims[perm[k]]; the default perm
 * reverses the axes. Transposing by perm then by its inverse is the identity.
 */
import type { KernelNode, KernelVariant, RunContext } from '../contract.js';
import type { Tensor } from '../tensor.js';
import { attrInts } from './util/attrs.js';
import { stridesOf } from './util/broadcast.js';
import { kernelError, need } from './util/fail.js';
import { elems } from './util/index-data.js';
import { scalarKernel } from './util/variant.js';

/** Transposes `x` by `perm` into a tensor from `ctx`. */
export function transposeTensor(x: Tensor, perm: readonly number[], ctx: RunContext): Tensor {
  const rank = x.dims.length;
  const dims = perm.map((p) => x.dims[p]);
  const out = ctx.alloc(x.dtype, dims);
  const inStr = stridesOf(x.dims);
  const st = perm.map((p) => inStr[p]);
  const X = elems(x);
  const O = elems(out);
  const n = O.length;
  const counter = new Array<number>(rank).fill(0);
  let off = 0;
  for (let k = 0; k < n; k++) {
    O[k] = X[off];
    for (let a = rank - 1; a >= 0; a--) {
      counter[a]++;
      off += st[a];
      if (counter[a] < dims[a]) break;
      off -= st[a] * counter[a];
      counter[a] = 0;
    }
  }
  return out;
}

function checkPerm(node: KernelNode, perm: readonly number[], rank: number): void {
  const ok = perm.length === rank && [...perm].sort((a, b) => a - b).every((p, i) => p === i);
  if (!ok) throw kernelError(node, 'attribute "perm"', { expected: `a permutation of 0..${rank - 1}`, actual: `[${perm}]` });
}

export const TRANSPOSE_KERNELS: KernelVariant[] = [
  scalarKernel('Transpose', (node) => {
    const permAttr = attrInts(node, 'perm');
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      const rank = x.dims.length;
      const perm = permAttr ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
      checkPerm(node, perm, rank);
      return [transposeTensor(x, perm, ctx)];
    };
  }),
];
