/**
 * Unique(sorted=1, axis): the distinct elements (or, with `axis`, the distinct slices along it) of the input, with
 * int64 outputs indices (first occurrence), inverse_indices (position of each input element/slice in Y) and counts.
 * sorted=1 orders Y ascending (slices lexicographically), sorted=0 keeps first-occurrence order. NaN values compare
 * equal to each other. Example: Unique([2, 1, 1, 3]) -> Y [1, 2, 3], indices [1, 0, 3], inverse [1, 0, 0, 2],
 * counts [2, 1, 1].
 */
import type { KernelVariant } from '../contract.js';
import { attrInt } from './util/attrs.js';
import { normAxis } from './util/broadcast.js';
import { need } from './util/fail.js';
import { elems } from './util/index-data.js';
import { scalarKernel } from './util/variant.js';

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'string' || typeof b === 'string') return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
  const x = a as number | bigint;
  const y = b as number | bigint;
  return x < y ? -1 : x > y ? 1 : 0;
}

export const UNIQUE_KERNELS: KernelVariant[] = [
  scalarKernel('Unique', (node) => {
    const sorted = attrInt(node, 'sorted', 1) !== 0;
    const hasAxis = node.attrs.has('axis');
    const axisAttr = attrInt(node, 'axis', 0);
    return (inputs, ctx) => {
      let x = need(node, inputs, 0);
      if (!hasAxis) x = x.reshape([x.data.length]);
      const axis = normAxis(node, axisAttr, x.dims.length);
      const d = x.dims[axis];
      const outer = x.dims.slice(0, axis).reduce((p, v) => p * v, 1);
      const inner = x.dims.slice(axis + 1).reduce((p, v) => p * v, 1);
      const X = elems(x);
      const slices: unknown[][] = [];
      for (let i = 0; i < d; i++) {
        const s: unknown[] = [];
        for (let o = 0; o < outer; o++) for (let j = 0; j < inner; j++) s.push(X[(o * d + i) * inner + j]);
        slices.push(s);
      }
      const keyOf = (s: unknown[]) => s.map((v) => (typeof v === 'bigint' ? `${v}n` : Number.isNaN(v) ? 'NaN' : String(v))).join('|');
      const first = new Map<string, number>();
      const counts = new Map<string, number>();
      slices.forEach((s, i) => {
        const k = keyOf(s);
        if (!first.has(k)) first.set(k, i);
        counts.set(k, (counts.get(k) ?? 0) + 1);
      });
      const uniq = [...first.entries()].map(([k, i]) => ({ k, i }));
      if (sorted) {
        uniq.sort((a, b) => {
          const sa = slices[a.i];
          const sb = slices[b.i];
          for (let t = 0; t < sa.length; t++) {
            const c = compareValues(sa[t], sb[t]);
            if (c !== 0) return c;
          }
          return 0;
        });
      }
      const pos = new Map(uniq.map((u, p) => [u.k, p]));
      const n = uniq.length;
      const y = ctx.alloc(x.dtype, x.dims.map((v, i) => (i === axis ? n : v)));
      const Y = elems(y);
      uniq.forEach((u, p) => {
        const s = slices[u.i];
        let t = 0;
        for (let o = 0; o < outer; o++) for (let j = 0; j < inner; j++) Y[(o * n + p) * inner + j] = s[t++];
      });
      const indices = ctx.alloc('int64', [n]);
      const inverse = ctx.alloc('int64', [d]);
      const cnt = ctx.alloc('int64', [n]);
      uniq.forEach((u, p) => {
        indices.data[p] = BigInt(u.i);
        cnt.data[p] = BigInt(counts.get(u.k)!);
      });
      slices.forEach((s, i) => { inverse.data[i] = BigInt(pos.get(keyOf(s))!); });
      return [y, indices, inverse, cnt].slice(0, Math.max(1, node.outputCount));
    };
  }),
];
