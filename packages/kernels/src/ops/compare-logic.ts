/**
 * Broadcasting comparisons (Equal Greater GreaterOrEqual Less LessOrEqual) and logic (And Or Xor), bool output.
 * Comparisons follow IEEE: any comparison with NaN is false (Equal(NaN, NaN) = false). int64 compares exactly as
 * BigInt. Equal also accepts string tensors (opset 19). Example: Greater([1, NaN], [0, 0]) = [true, false].
 */
import type { KernelVariant } from '../contract.js';
import { broadcastIndex, broadcastShapes } from './util/broadcast.js';
import { binaryMap, type BigFn2, type NumFn2 } from './util/elementwise.js';
import { expectInputType, kernelError, need } from './util/fail.js';
import { scalarKernel } from './util/variant.js';

function compare(opType: string, f: NumFn2, big: BigFn2): KernelVariant {
  return scalarKernel(opType, (node) => (inputs, ctx) => {
    const a = need(node, inputs, 0);
    const b = need(node, inputs, 1);
    if (a.dtype !== b.dtype) throw kernelError(node, 'dtype', { inputIndex: 1, expected: a.dtype, actual: b.dtype });
    if (a.dtype === 'string') {
      const dims = broadcastShapes(node, [a.dims, b.dims]);
      const out = ctx.alloc('bool', dims);
      const ia = broadcastIndex(dims, a.dims);
      const ib = broadcastIndex(dims, b.dims);
      const A = a.data as string[];
      const B = b.data as string[];
      for (let i = 0; i < out.data.length; i++) out.data[i] = A[ia ? ia[i] : i] === B[ib ? ib[i] : i] ? 1 : 0;
      return [out];
    }
    return [binaryMap(node, a, b, 'bool', ctx, f, big)];
  });
}

function logic(opType: string, f: NumFn2): KernelVariant {
  return scalarKernel(opType, (node) => {
    expectInputType(node, 0, (d) => d === 'bool', 'bool');
    expectInputType(node, 1, (d) => d === 'bool', 'bool');
    return (inputs, ctx) => {
      const a = need(node, inputs, 0);
      const b = need(node, inputs, 1);
      for (const [i, t] of [a, b].entries()) {
        if (t.dtype !== 'bool') throw kernelError(node, 'dtype', { inputIndex: i, expected: 'bool', actual: t.dtype });
      }
      return [binaryMap(node, a, b, 'bool', ctx, f)];
    };
  });
}

export const COMPARE_LOGIC_KERNELS: KernelVariant[] = [
  compare('Equal', (a, b) => (a === b ? 1 : 0), (a, b) => (a === b ? 1 : 0)),
  compare('Greater', (a, b) => (a > b ? 1 : 0), (a, b) => (a > b ? 1 : 0)),
  compare('GreaterOrEqual', (a, b) => (a >= b ? 1 : 0), (a, b) => (a >= b ? 1 : 0)),
  compare('Less', (a, b) => (a < b ? 1 : 0), (a, b) => (a < b ? 1 : 0)),
  compare('LessOrEqual', (a, b) => (a <= b ? 1 : 0), (a, b) => (a <= b ? 1 : 0)),
  logic('And', (a, b) => (a && b ? 1 : 0)),
  logic('Or', (a, b) => (a || b ? 1 : 0)),
  logic('Xor', (a, b) => ((a ? 1 : 0) ^ (b ? 1 : 0))),
];
