/**
 * Col2Im(input [N, C * prod(block), L], image_shape, block_shape, dilations, pads, strides) -> [N, C, *image_shape]:
 * the inverse of Im2Col. Column value (c, k, l) is added to the image position p * stride - pad_begin + k * dilation
 * per axis (p = block position l, k = kernel offset), positions outside the image are dropped. Accumulated in
 * double, rounded once.
 */
import type { KernelVariant } from '../contract.js';
import { attrInts } from './util/attrs.js';
import { kernelError, need } from './util/fail.js';
import { toInts, toNumbers, writeNumbers } from './util/values.js';
import { scalarKernel } from './util/variant.js';

export const COL2IM_KERNELS: KernelVariant[] = [
  scalarKernel('Col2Im', (node) => {
    const dil = attrInts(node, 'dilations');
    const padsAttr = attrInts(node, 'pads');
    const strAttr = attrInts(node, 'strides');
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      const img = toInts(need(node, inputs, 1));
      const blk = toInts(need(node, inputs, 2));
      const r = img.length;
      const d = dil ?? new Array<number>(r).fill(1);
      const pads = padsAttr ?? new Array<number>(2 * r).fill(0);
      const st = strAttr ?? new Array<number>(r).fill(1);
      const [N, CK, L] = x.dims;
      const K = blk.reduce((p, v) => p * v, 1);
      const C = CK / K;
      const blocks = img.map((s, a) => Math.floor((s + pads[a] + pads[a + r] - d[a] * (blk[a] - 1) - 1) / st[a]) + 1);
      if (blocks.reduce((p, v) => p * v, 1) !== L || !Number.isInteger(C)) {
        throw kernelError(node, 'input shape', { inputIndex: 0, expected: `[N, C * ${K}, ${blocks.reduce((p, v) => p * v, 1)}]`, actual: `[${x.dims}]` });
      }
      const X = toNumbers(x);
      const imgN = img.reduce((p, v) => p * v, 1);
      const vals = new Float64Array(N * C * imgN);
      for (let n = 0; n < N; n++) {
        for (let c = 0; c < C; c++) {
          for (let k = 0; k < K; k++) {
            for (let l = 0; l < L; l++) {
              let kr = k;
              let lr = l;
              let off = 0;
              let inside = true;
              const kc = new Array<number>(r);
              const lc = new Array<number>(r);
              for (let a = r - 1; a >= 0; a--) {
                kc[a] = kr % blk[a];
                kr = Math.floor(kr / blk[a]);
                lc[a] = lr % blocks[a];
                lr = Math.floor(lr / blocks[a]);
              }
              for (let a = 0; a < r; a++) {
                const pos = lc[a] * st[a] - pads[a] + kc[a] * d[a];
                if (pos < 0 || pos >= img[a]) {
                  inside = false;
                  break;
                }
                off = off * img[a] + pos;
              }
              if (inside) vals[(n * C + c) * imgN + off] += X[((n * CK) + c * K + k) * L + l];
            }
          }
        }
      }
      const out = ctx.alloc(x.dtype, [N, C, ...img]);
      writeNumbers(x.dtype, out.data, vals);
      return [out];
    };
  }),
];
