/**
 * Det: determinant of the trailing [M, M] matrices, by LU decomposition with partial pivoting in double, rounded once
 * into the input dtype; out.dims = x.dims[:-2]. A zero pivot gives 0.
 * Example: Det([[1, 2], [3, 4]]) = -2.
 */
import type { KernelVariant } from '../contract.js';
import { kernelError, need } from './util/fail.js';
import { toNumbers, writeNumbers } from './util/values.js';
import { scalarKernel } from './util/variant.js';

export const DETERMINANT_KERNELS: KernelVariant[] = [
  scalarKernel('Det', (node) => (inputs, ctx) => {
    const x = need(node, inputs, 0);
    const r = x.dims.length;
    const m = x.dims[r - 1];
    if (r < 2 || x.dims[r - 2] !== m) throw kernelError(node, 'shape', { inputIndex: 0, expected: '[..., M, M]', actual: `[${x.dims}]` });
    const X = toNumbers(x);
    const count = x.data.length / Math.max(m * m, 1);
    const vals = new Float64Array(count);
    for (let b = 0; b < count; b++) {
      const a = Array.from({ length: m * m }, (_, i) => X[b * m * m + i]);
      let det = 1;
      for (let c = 0; c < m; c++) {
        let piv = c;
        for (let i = c + 1; i < m; i++) if (Math.abs(a[i * m + c]) > Math.abs(a[piv * m + c])) piv = i;
        if (a[piv * m + c] === 0) {
          det = 0;
          break;
        }
        if (piv !== c) {
          for (let j = 0; j < m; j++) [a[c * m + j], a[piv * m + j]] = [a[piv * m + j], a[c * m + j]];
          det = -det;
        }
        det *= a[c * m + c];
        for (let i = c + 1; i < m; i++) {
          const fct = a[i * m + c] / a[c * m + c];
          for (let j = c; j < m; j++) a[i * m + j] -= fct * a[c * m + j];
        }
      }
      vals[b] = det;
    }
    const out = ctx.alloc(x.dtype, x.dims.slice(0, r - 2));
    writeNumbers(x.dtype, out.data, vals);
    return [out];
  }),
];
