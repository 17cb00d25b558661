/**
 * LRN (opset 1, 13): local response normalization across channels of `X [N, C, ...]`.
 *
 *   square_sum[n, c, ...] = sum over c' in [max(0, c - floor((size-1)/2)), min(C-1, c + ceil((size-1)/2))] of x[n, c', ...]^2
 *   y = x / (bias + alpha / size * square_sum) ^ beta
 *
 * Numerics: square_sum accumulates in float32 (`fround` per product and sum, c' ascending); the rest is rounded to
 * float32 once per operation. float64 in double, float16 via float32. NaN propagates.
 *
 * Example: C = 1, size 1, alpha 1, beta 1, bias 1, x = 2 -> 2 / (1 + 4) = 0.4.
 */
import type { KernelVariant } from '../contract.js';
import { attrFloat, attrInt } from '../ops/util/attrs.js';
import { expectRank, fail, input } from './checks.js';
import { floatVariants } from './float-variants.js';

export const LRN_KERNELS: KernelVariant[] = floatVariants({
  op: 'LRN',
  create(node) {
    const size = attrInt(node, 'size', 0);
    if (!Number.isInteger(size) || size < 1) fail(node, 'attribute "size"', { expected: 'an integer >= 1', actual: String(size) });
    const alpha = attrFloat(node, 'alpha', 1e-4);
    const beta = attrFloat(node, 'beta', 0.75);
    const bias = attrFloat(node, 'bias', 1);
    const lo = Math.floor((size - 1) / 2);
    const hi = Math.ceil((size - 1) / 2);
    return {
      run(inputs, ctx) {
        const x = input(node, inputs, 0, ['float32', 'float64'] as const);
        expectRank(node, x, 0, 2, 10);
        const [N, C] = x.dims;
        const plane = x.dims.slice(2).reduce((p, d) => p * d, 1);
        const fr = x.dtype === 'float32' ? Math.fround : (v: number) => v;
        const k = fr(alpha / size);
        const y = ctx.alloc(x.dtype, x.dims);
        for (let n = 0; n < N; n++) {
          for (let c = 0; c < C; c++) {
            const c0 = Math.max(0, c - lo);
            const c1 = Math.min(C - 1, c + hi);
            for (let j = 0; j < plane; j++) {
              let s = 0;
              for (let cc = c0; cc <= c1; cc++) {
                const v = x.data[(n * C + cc) * plane + j];
                s = fr(s + fr(v * v));
              }
              const i = (n * C + c) * plane + j;
              y.data[i] = fr(x.data[i] / fr(fr(bias + fr(k * s)) ** beta));
            }
          }
        }
        return [y];
      },
    };
  },
});
