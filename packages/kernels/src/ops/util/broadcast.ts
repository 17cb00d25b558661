/**
 * Numpy-style multidirectional broadcasting (ONNX "Broadcasting in ONNX"): shapes are right-aligned, and each
 * aligned pair of dims must be equal or one of them 1; the result takes the larger. Example: [2,1,4] with [3,1]
 * gives [2,3,4]. A 0-sized dim broadcasts with 1 to 0.
 */
import type { KernelNode } from '../../contract.js';
import { kernelError } from './fail.js';

export function broadcastShapes(node: Pick<KernelNode, 'name' | 'opType'>, shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (let k = 0; k < shapes.length; k++) {
    const s = shapes[k];
    for (let j = 0; j < s.length; j++) {
      const i = rank - s.length + j;
      const d = s[j];
      if (d === out[i] || d === 1) continue;
      if (out[i] === 1) out[i] = d;
      else {
        throw kernelError(node, 'shapes do not broadcast', {
          inputIndex: k, expected: `a dim of ${out[i]} or 1 at axis ${j}`, actual: `[${s.join(', ')}]`,
        });
      }
    }
  }
  return out;
}

/**
 * For each flat index of `outDims`, the flat index into a tensor of `inDims` broadcast to it.
 * Returns null when `inDims` equals `outDims` (identity mapping).
 */
export function broadcastIndex(outDims: readonly number[], inDims: readonly number[]): Int32Array | null {
  const rank = outDims.length;
  if (inDims.length === rank && inDims.every((d, i) => d === outDims[i])) return null;
  let n = 1;
  for (const d of outDims) n *= d;
  const idx = new Int32Array(n);
  if (n === 0) return idx;
  const strides = new Array<number>(rank).fill(0);
  let s = 1;
  for (let j = inDims.length - 1; j >= 0; j--) {
    const i = rank - inDims.length + j;
    strides[i] = inDims[j] === 1 ? 0 : s;
    s *= inDims[j];
  }
  const counter = new Array<number>(rank).fill(0);
  let off = 0;
  for (let k = 0; k < n; k++) {
    idx[k] = off;
    for (let a = rank - 1; a >= 0; a--) {
      counter[a]++;
      off += strides[a];
      if (counter[a] < outDims[a]) break;
      off -= strides[a] * counter[a];
      counter[a] = 0;
    }
  }
  return idx;
}

/** Row-major strides of `dims`. */
export function stridesOf(dims: readonly number[]): number[] {
  const st = new Array<number>(dims.length);
  let s = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    st[i] = s;
    s *= dims[i];
  }
  return st;
}

/** Normalizes a possibly negative axis into [0, rank), or throws. */
export function normAxis(node: Pick<KernelNode, 'name' | 'opType'>, axis: number, rank: number, what = 'axis'): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw kernelError(node, what, { expected: `an integer in [${-rank}, ${rank - 1}]`, actual: String(axis) });
  }
  return a;
}
