/**
 * InstanceNormalization (opset 1, 6, 22): per (n, c) plane of `X [N, C, ...]`,
 * `y = scale[c] * (x - mean) / sqrt(var + epsilon) + B[c]` with mean and population variance over the plane.
 *
 * Numerics: mean and variance accumulate in double and are rounded to the dtype (float32) before use; then per
 * element `fround(fround(scale * fround(fround(x - mean) / fround(sqrt(fround(var + eps))))) + B)`.
 * NaN propagates. float16 via float32.
 *
 * Example: plane [1, 3], eps 0, scale 1, B 0 -> mean 2, var 1 -> [-1, 1].
 */
import type { KernelVariant } from '../contract.js';
import { attrFloat } from '../ops/util/attrs.js';
import { expectRank, expectSize, input } from './checks.js';
import { floatVariants } from './float-variants.js';

const F = ['float32', 'float64'] as const;

export const INSTANCE_NORM_KERNELS: KernelVariant[] = floatVariants({
  op: 'InstanceNormalization',
  create(node) {
    const eps = attrFloat(node, 'epsilon', 1e-5);
    return {
      run(inputs, ctx) {
        const x = input(node, inputs, 0, F);
        expectRank(node, x, 0, 3, 10);
        const [N, C] = x.dims;
        const scale = input(node, inputs, 1, F);
        const bias = input(node, inputs, 2, F);
        expectSize(node, scale, 1, C, 'length (one per channel)');
        expectSize(node, bias, 2, C, 'length (one per channel)');
        const plane = x.dims.slice(2).reduce((p, d) => p * d, 1);
        const fr = x.dtype === 'float32' ? Math.fround : (v: number) => v;
        const y = ctx.alloc(x.dtype, x.dims);
        for (let n = 0; n < N; n++) {
          for (let c = 0; c < C; c++) {
            const base = (n * C + c) * plane;
            let s = 0;
            for (let j = 0; j < plane; j++) s += x.data[base + j];
            const mean = fr(s / plane);
            let q = 0;
            for (let j = 0; j < plane; j++) q += (x.data[base + j] - mean) ** 2;
            const den = fr(Math.sqrt(fr(fr(q / plane) + eps)));
            for (let j = 0; j < plane; j++) {
              y.data[base + j] = fr(fr(scale.data[c] * fr(fr(x.data[base + j] - mean) / den)) + bias.data[c]);
            }
          }
        }
        return [y];
      },
    };
  },
});
