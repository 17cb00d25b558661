/**
 * BatchNormalization (opset 1 .. 15), per channel c of `X [N, C, ...]`.
 *
 * Inference (training_mode 0, the default): `y = (x - mean[c]) / sqrt(var[c] + epsilon) * scale[c] + B[c]`,
 * evaluated in float32 as `fround(fround(fround(fround(x - mean) / fround(sqrt(fround(var + eps)))) * scale) + B)`
 * (double for float64).
 *
 * Training (training_mode 1, opset 14+): mean and population variance are taken over N and the spatial dims
 * (accumulated in double, rounded to the dtype), `y` uses them, and the outputs running_mean / running_var are
 * `input * momentum + current * (1 - momentum)`.
 *
 * The old `spatial = 0` form (opset < 9) is rejected with a KernelError. NaN propagates. float16 via float32.
 *
 * Example: x = 3, mean 1, var 4, eps 0, scale 2, B 1 -> (3 - 1) / 2 * 2 + 1 = 3.
 */
import type { KernelVariant } from '../contract.js';
import { attrFloat, attrInt } from '../ops/util/attrs.js';
import { expectRank, expectSize, fail, input } from './checks.js';
import { floatVariants } from './float-variants.js';

const F = ['float32', 'float64'] as const;

export const BATCH_NORM_KERNELS: KernelVariant[] = floatVariants({
  op: 'BatchNormalization',
  create(node) {
    const eps = attrFloat(node, 'epsilon', 1e-5);
    const momentum = attrFloat(node, 'momentum', 0.9);
    const training = attrInt(node, 'training_mode', 0) !== 0;
    if (attrInt(node, 'spatial', 1) !== 1) fail(node, 'attribute "spatial"', { expected: '1', actual: '0 (per-activation statistics are not supported)' });
    return {
      run(inputs, ctx) {
        const x = input(node, inputs, 0, F);
        expectRank(node, x, 0, 2, 10);
        const C = x.dims[1];
        const params = [1, 2, 3, 4].map((i) => {
          const t = input(node, inputs, i, F);
          expectSize(node, t, i, C, 'length (one per channel)');
          return t.data;
        });
        const [scale, bias, inMean, inVar] = params;
        const N = x.dims[0];
        const plane = x.dims.slice(2).reduce((p, d) => p * d, 1);
        const fr = x.dtype === 'float32' ? Math.fround : (v: number) => v;
        const y = ctx.alloc(x.dtype, x.dims);
        let mean: ArrayLike<number> = inMean;
        let vr: ArrayLike<number> = inVar;
        if (training) {
          const m = new Float64Array(C);
          const v = new Float64Array(C);
          const count = N * plane;
          for (let c = 0; c < C; c++) {
            let s = 0;
            for (let n = 0; n < N; n++) for (let j = 0; j < plane; j++) s += x.data[(n * C + c) * plane + j];
            m[c] = fr(s / count);
            let q = 0;
            for (let n = 0; n < N; n++) for (let j = 0; j < plane; j++) q += (x.data[(n * C + c) * plane + j] - m[c]) ** 2;
            v[c] = fr(q / count);
          }
          mean = m;
          vr = v;
        }
        for (let c = 0; c < C; c++) {
          const den = fr(Math.sqrt(fr(vr[c] + eps)));
          for (let n = 0; n < N; n++) {
            const base = (n * C + c) * plane;
            for (let j = 0; j < plane; j++) {
              y.data[base + j] = fr(fr(fr(fr(x.data[base + j] - mean[c]) / den) * scale[c]) + bias[c]);
            }
          }
        }
        if (!training) return [y];
        const runMean = ctx.alloc(x.dtype, [C]);
        const runVar = ctx.alloc(x.dtype, [C]);
        for (let c = 0; c < C; c++) {
          runMean.data[c] = fr(fr(inMean[c] * momentum) + fr(mean[c] * (1 - momentum)));
          runVar.data[c] = fr(fr(inVar[c] * momentum) + fr(vr[c] * (1 - momentum)));
        }
        return [y, runMean, runVar].slice(0, Math.max(1, node.outputCount));
      },
    };
  },
});
