/**
 * Where(condition, X, Y): out[i] = condition[i] ? X[i] : Y[i], all three broadcast together (numpy.where).
 * Any dtype for X/Y (they must match), elements are copied bit for bit. Example: Where([1,0],[1,2],[9,9]) = [1,9].
 */
import type { KernelVariant } from '../contract.js';
import { broadcastIndex, broadcastShapes } from './util/broadcast.js';
import { kernelError, need } from './util/fail.js';
import { scalarKernel } from './util/variant.js';

export const WHERE_KERNELS: KernelVariant[] = [
  scalarKernel('Where', (node) => (inputs, ctx) => {
    const c = need(node, inputs, 0);
    const x = need(node, inputs, 1);
    const y = need(node, inputs, 2);
    if (c.dtype !== 'bool') throw kernelError(node, 'dtype', { inputIndex: 0, expected: 'bool', actual: c.dtype });
    if (x.dtype !== y.dtype) throw kernelError(node, 'dtype', { inputIndex: 2, expected: x.dtype, actual: y.dtype });
    const dims = broadcastShapes(node, [c.dims, x.dims, y.dims]);
    const out = ctx.alloc(x.dtype, dims);
    const ic = broadcastIndex(dims, c.dims);
    const ix = broadcastIndex(dims, x.dims);
    const iy = broadcastIndex(dims, y.dims);
    const C = c.data as Uint8Array;
    const X = x.data as unknown as ArrayLike<unknown>;
    const Y = y.data as unknown as ArrayLike<unknown>;
    const O = out.data as unknown as { [i: number]: unknown; length: number };
    for (let i = 0; i < O.length; i++) O[i] = C[ic ? ic[i] : i] ? X[ix ? ix[i] : i] : Y[iy ? iy[i] : i];
    return [out];
  }),
];
