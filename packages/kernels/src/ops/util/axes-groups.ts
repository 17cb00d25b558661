/**
 * Regroups a tensor's elements so that each output position of a reduction along `axes` sees its inputs as one
 * contiguous run: returns the element order (input flat indices) with kept axes outer and reduced axes inner.
 */
import { stridesOf } from './broadcast.js';

export interface AxisGroups {
  /** Input flat indices, `groups` runs of `groupSize`. */
  readonly order: Int32Array;
  readonly groups: number;
  readonly groupSize: number;
}

export function axisGroups(dims: readonly number[], axes: readonly number[]): AxisGroups {
  const rank = dims.length;
  const red = new Set(axes);
  const perm = [...Array.from({ length: rank }, (_, i) => i).filter((i) => !red.has(i)), ...[...red].sort((a, b) => a - b)];
  const st = stridesOf(dims);
  const pd = perm.map((p) => dims[p]);
  const ps = perm.map((p) => st[p]);
  let n = 1;
  for (const d of dims) n *= d;
  const order = new Int32Array(n);
  const counter = new Array<number>(rank).fill(0);
  let off = 0;
  for (let k = 0; k < n; k++) {
    order[k] = off;
    for (let a = rank - 1; a >= 0; a--) {
      counter[a]++;
      off += ps[a];
      if (counter[a] < pd[a]) break;
      off -= ps[a] * counter[a];
      counter[a] = 0;
    }
  }
  let groupSize = 1;
  for (const a of red) groupSize *= dims[a];
  let groups = 1;
  for (let i = 0; i < rank; i++) if (!red.has(i)) groups *= dims[i];
  return { order, groups, groupSize };
}
