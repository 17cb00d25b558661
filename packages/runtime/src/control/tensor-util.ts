/**
 * Layout helpers the control-flow builtins need: slicing one index out of an axis, and stacking equal-shape tensors
 * along a new axis. Plain element copies; dtype-generic over every storage class.
 */
import { Tensor, sizeOf, type DType, type RunContext } from '@lowbit/kernels';

type Indexed = { [i: number]: unknown; length: number };

/** `t` with axis `axis` removed, taking index `index` along it (a copy). */
export function takeAlong(t: Tensor, axis: number, index: number, ctx: RunContext): Tensor {
  const dims = t.dims;
  const outer = sizeOf(dims.slice(0, axis));
  const inner = sizeOf(dims.slice(axis + 1));
  const n = dims[axis];
  const outDims = [...dims.slice(0, axis), ...dims.slice(axis + 1)];
  const out = ctx.alloc(t.dtype, outDims);
  const src = t.data as unknown as Indexed;
  const dst = out.data as unknown as Indexed;
  for (let o = 0; o < outer; o++) {
    const from = (o * n + index) * inner;
    const to = o * inner;
    for (let k = 0; k < inner; k++) dst[to + k] = src[from + k];
  }
  return out;
}

/**
 * Stacks `parts` (all of one shape S) along a new axis `axis` of the result (0 <= axis <= rank(S)):
 * result dims = S[:axis] + [parts.length] + S[axis:].
 */
export function stackAlong(parts: readonly Tensor[], axis: number, dtype: DType, emptyShape: readonly number[], ctx: RunContext): Tensor {
  if (parts.length === 0) {
    const dims = [...emptyShape.slice(0, axis), 0, ...emptyShape.slice(axis)];
    return ctx.alloc(dtype, dims);
  }
  const s = parts[0].dims;
  for (const p of parts) {
    if (p.dims.length !== s.length || p.dims.some((d, i) => d !== s[i])) {
      throw new RangeError(`cannot stack values of shapes [${s.join(', ')}] and [${p.dims.join(', ')}]`);
    }
    if (p.dtype !== parts[0].dtype) throw new RangeError(`cannot stack ${parts[0].dtype} and ${p.dtype} values`);
  }
  const outer = sizeOf(s.slice(0, axis));
  const inner = sizeOf(s.slice(axis));
  const n = parts.length;
  const out = ctx.alloc(parts[0].dtype, [...s.slice(0, axis), n, ...s.slice(axis)]);
  const dst = out.data as unknown as Indexed;
  parts.forEach((p, j) => {
    const src = p.data as unknown as Indexed;
    for (let o = 0; o < outer; o++) {
      const to = (o * n + j) * inner;
      const from = o * inner;
      for (let k = 0; k < inner; k++) dst[to + k] = src[from + k];
    }
  });
  return out;
}

/** True when a condition tensor holds a single nonzero element. */
export function truthy(t: Tensor): boolean {
  if (t.size !== 1) throw new RangeError(`condition must hold exactly one element, got dims [${t.dims.join(', ')}]`);
  const v = (t.data as unknown as Indexed)[0];
  return typeof v === 'bigint' ? v !== 0n : Boolean(v);
}

/** Reads a one-element integer tensor as a number (int64 via BigInt). */
export function scalarInt(t: Tensor): number {
  if (t.size !== 1) throw new RangeError(`expected a one-element tensor, got dims [${t.dims.join(', ')}]`);
  return Number((t.data as unknown as Indexed)[0]);
}

export function int64Scalar(v: number): Tensor<'int64'> {
  return new Tensor('int64', new BigInt64Array([BigInt(v)]), []);
}

export function boolScalar(v: boolean): Tensor<'bool'> {
  return new Tensor('bool', new Uint8Array([v ? 1 : 0]), []);
}
