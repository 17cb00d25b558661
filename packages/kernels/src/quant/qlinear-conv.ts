/**
 * QLinearConv (opset 10): quantized convolution with requantized 8-bit output.
 *
 *   acc[n, m, o...] = B[m] + sum_{c, k...} (x - x_zp) * (w[m, c, k...] - w_zp[m])     (exact int32, see ConvInteger)
 *   y[n, m, o...]   = requantize(acc, fround(fround(x_scale * w_scale[m]) / y_scale), y_zp)
 *
 * Inputs: x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, B (optional int32, M values).
 * x_scale, x_zero_point, y_scale and y_zero_point are per-tensor; w_scale and w_zero_point per-tensor or per output
 * channel (M values). y's dtype is y_zero_point's. Attributes as Conv. Rounding ties-to-even, saturation to the
 * output range (see `requantize`).
 *
 * Example: x = [[1, 2], [3, 4]] (zp 0, scale 0.5), w = ones(2x2) (zp 0, scale 0.5), y_scale 1, y_zp 0, B [3]:
 * acc = 10 + 3 = 13, 13 * 0.25 = 3.25 -> 3.
 */
import type { KernelInstance, KernelNode, KernelVariant } from '../contract.js';
import { expectSize, input } from '../nn/checks.js';
import { parseGroup } from '../nn/conv.js';
import { parseWindowAttrs } from '../nn/window.js';
import { DTYPE_SHORT } from '../tensor.js';
import { convIntegerCore } from './conv-integer.js';
import { intInfo } from '@lowbit/qparams';
import { requantMultiplier, requantize } from './requantize.js';
import { Q8, at, perTensorOr, q8Input, scaleInput, zeroPointInput } from './qinputs.js';

function create(node: KernelNode): KernelInstance {
  const a = parseWindowAttrs(node);
  const group = parseGroup(node);
  return {
    run(inputs, ctx) {
      const x = q8Input(node, inputs, 0);
      const w = q8Input(node, inputs, 3);
      const yzpT = q8Input(node, inputs, 7);
      const M = w.dims[0] ?? 1;
      const xScale = perTensorOr(node, scaleInput(node, inputs, 1), 1, 1, 'per-tensor');
      const zx = perTensorOr(node, zeroPointInput(node, inputs, 2, x.dtype), 2, 1, 'per-tensor');
      const wScale = perTensorOr(node, scaleInput(node, inputs, 4), 4, M, 'per output channel');
      const zw = perTensorOr(node, zeroPointInput(node, inputs, 5, w.dtype), 5, M, 'per output channel');
      const yScale = perTensorOr(node, scaleInput(node, inputs, 6), 6, 1, 'per-tensor');
      const zy = perTensorOr(node, yzpT, 7, 1, 'per-tensor');
      const bias = inputs[8] ? input(node, inputs, 8, ['int32'] as const) : null;
      if (bias) expectSize(node, bias, 8, M, 'bias length');
      const { acc, dims } = convIntegerCore(node, a, group, x, w, zx, zw, 3);
      const y = ctx.alloc(yzpT.dtype, dims);
      const { qmin, qmax } = intInfo(yzpT.dtype);
      const plane = acc.length / ((dims[0] * M) || 1);
      const out = y.data;
      const z = zy[0];
      for (let n = 0; n < dims[0]; n++) {
        for (let m = 0; m < M; m++) {
          const mult = requantMultiplier(xScale[0], at(wScale, m), yScale[0]);
          const b = bias ? bias.data[m] : 0;
          const base = (n * M + m) * plane;
          for (let i = base; i < base + plane; i++) out[i] = requantize((acc[i] + b) | 0, mult, z, qmin, qmax);
        }
      }
      return [y];
    },
  };
}

export const QLINEAR_CONV_KERNELS: KernelVariant[] = Q8.flatMap((tx) => Q8.flatMap((tw) => Q8.map((ty): KernelVariant => ({
  key: `QLinearConv:${DTYPE_SHORT[tx]}x${DTYPE_SHORT[tw]}->${DTYPE_SHORT[ty]}`,
  name: 'scalar',
  isa: 'scalar',
  tolerance: 'exact',
  create,
}))));
