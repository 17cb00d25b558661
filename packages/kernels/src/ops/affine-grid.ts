/**
 * AffineGrid(theta [N, 2, 3] | [N, 3, 4], size [N, C, H, W] | [N, C, D, H, W], align_corners=0): the sampling grid
 * GridSample consumes, [N, H, W, 2] | [N, D, H, W, 3]. Base coordinate i of an axis of length L is
 * -1 + 2i / (L - 1) with align_corners (-1 when L = 1), else -1 + (2i + 1) / L; grid[n, ..] = theta[n] (x, y, [z], 1)
 * with x along W, y along H, z along D. Computed in double, rounded once.
 */
import type { KernelVariant } from '../contract.js';
import { attrInt } from './util/attrs.js';
import { kernelError, need } from './util/fail.js';
import { toInts, toNumbers, writeNumbers } from './util/values.js';
import { scalarKernel } from './util/variant.js';

const base = (i: number, L: number, align: boolean): number => (align ? (L === 1 ? -1 : -1 + (2 * i) / (L - 1)) : -1 + (2 * i + 1) / L);

export const AFFINE_GRID_KERNELS: KernelVariant[] = [
  scalarKernel('AffineGrid', (node) => {
    const align = attrInt(node, 'align_corners', 0) !== 0;
    return (inputs, ctx) => {
      const theta = need(node, inputs, 0);
      const size = toInts(need(node, inputs, 1));
      const r = size.length - 2;
      if ((r !== 2 && r !== 3) || theta.dims[1] !== r || theta.dims[2] !== r + 1) {
        throw kernelError(node, 'theta/size', { inputIndex: 0, expected: '[N, 2, 3] with a 4-D size or [N, 3, 4] with a 5-D size', actual: `[${theta.dims}] / [${size}]` });
      }
      const N = size[0];
      const sp = size.slice(2);
      const T = toNumbers(theta);
      const count = sp.reduce((p, d) => p * d, 1);
      const vals = new Float64Array(N * count * r);
      for (let n = 0; n < N; n++) {
        for (let p = 0; p < count; p++) {
          // Coordinates in (x, y, z) order: x from the last spatial axis.
          let rem = p;
          const c = new Array<number>(r);
          for (let a = r - 1; a >= 0; a--) {
            c[r - 1 - a] = base(rem % sp[a], sp[a], align);
            rem = Math.floor(rem / sp[a]);
          }
          for (let row = 0; row < r; row++) {
            const t = (n * r + row) * (r + 1);
            let v = T[t + r];
            for (let k = 0; k < r; k++) v += T[t + k] * c[k];
            vals[(n * count + p) * r + row] = v;
          }
        }
      }
      const out = ctx.alloc(theta.dtype, [N, ...sp, r]);
      writeNumbers(theta.dtype, out.data, vals);
      return [out];
    };
  }),
];
