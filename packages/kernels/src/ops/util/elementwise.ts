/**
 * Shared loops for element-wise kernels over broadcast inputs. Values are computed as JS doubles and stored into the
 * output's storage, so float32 outputs are rounded once per element (Float32Array store = Math.fround), minifloat
 * outputs are encoded with round-to-nearest-even, integer outputs truncate and wrap like a typed-array store.
 */
import type { KernelNode, RunContext } from '../../contract.js';
import type { DType, Tensor } from '../../tensor.js';
import { broadcastIndex, broadcastShapes } from './broadcast.js';
import { DIRECT_STORE, isBig, toNumbers, writeNumbers } from './values.js';

type N = Pick<KernelNode, 'name' | 'opType'>;

export type NumFn2 = (a: number, b: number) => number;
export type BigFn2 = (a: bigint, b: bigint) => bigint | number;

/**
 * out[i] = f(a[ia(i)], b[ib(i)]) with broadcasting. When both inputs are int64/uint64 and `big` is given the
 * computation is exact in BigInt (`big` may return a number for bool outputs).
 */
export function binaryMap(node: N, a: Tensor, b: Tensor, outDtype: DType, ctx: RunContext, f: NumFn2, big?: BigFn2): Tensor {
  const dims = broadcastShapes(node, [a.dims, b.dims]);
  const out = ctx.alloc(outDtype, dims);
  const n = out.data.length;
  const ia = broadcastIndex(dims, a.dims);
  const ib = broadcastIndex(dims, b.dims);
  if (big && isBig(a.dtype) && isBig(b.dtype)) {
    const A = a.data as BigInt64Array;
    const B = b.data as BigInt64Array;
    const O = out.data as unknown as { [i: number]: bigint | number };
    for (let i = 0; i < n; i++) O[i] = big(A[ia ? ia[i] : i], B[ib ? ib[i] : i]);
    return out;
  }
  const A = toNumbers(a);
  const B = toNumbers(b);
  if (DIRECT_STORE.has(outDtype)) {
    const O = out.data as Float32Array;
    for (let i = 0; i < n; i++) O[i] = f(A[ia ? ia[i] : i], B[ib ? ib[i] : i]);
    return out;
  }
  const tmp = new Float64Array(n);
  for (let i = 0; i < n; i++) tmp[i] = f(A[ia ? ia[i] : i], B[ib ? ib[i] : i]);
  writeNumbers(outDtype, out.data, tmp);
  return out;
}

/** out[i] = f(x[i]) into a tensor of `outDtype` (default: the input's dtype). */
export function unaryMap(x: Tensor, ctx: RunContext, f: (v: number) => number, outDtype: DType = x.dtype): Tensor {
  const out = ctx.alloc(outDtype, x.dims);
  const X = toNumbers(x);
  const n = X.length;
  if (DIRECT_STORE.has(outDtype)) {
    const O = out.data as Float32Array;
    for (let i = 0; i < n; i++) O[i] = f(X[i]);
    return out;
  }
  const tmp = new Float64Array(n);
  for (let i = 0; i < n; i++) tmp[i] = f(X[i]);
  writeNumbers(outDtype, out.data, tmp);
  return out;
}

/** Copies `x` into a fresh tensor from `ctx` with new dims (same element count). */
export function copyTo(x: Tensor, ctx: RunContext, dims: readonly number[] = x.dims): Tensor {
  const out = ctx.alloc(x.dtype, dims);
  const src = x.data as unknown as ArrayLike<unknown>;
  const dst = out.data as unknown as { [i: number]: unknown };
  for (let i = 0; i < src.length; i++) dst[i] = src[i];
  return out;
}
