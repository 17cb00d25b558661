/**
 * QLinearMatMul (opset 10, 21): quantized matmul with requantized 8-bit output.
 *
 *   acc[b, i, j] = sum_k (a[b, i, k] - a_zp[i]) * (b[b, k, j] - b_zp[j])          (exact int32, see MatMulInteger)
 *   y[b, i, j]   = requantize(acc, (a_scale[i] * b_scale[j]) / y_scale[i], y_zp[i])  (see `requantize`)
 *
 * Inputs: a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point. a and b are uint8/int8
 * independently; y's dtype is y_zero_point's. Scales are float32, or float16 from opset 21: the multiplier is then
 * computed in float16 arithmetic (`requantMultiplier`), the product with acc in float32. Scales/zero points of a
 * and y are per-tensor or per-row (M values), of b per-tensor or per-column (N values).
 * Rounding ties-to-even, saturation to the output range.
 *
 * Example: a = [[2, 3]], b = [[4], [5]], all zero points 0, a_scale 0.5, b_scale 0.5, y_scale 1 -> acc 23,
 * 23 * 0.25 = 5.75 -> 6.
 */
import type { KernelInstance, KernelNode, KernelVariant } from '../contract.js';
import { planMatMul } from '../nn/matmul-shape.js';
import { float16ToFloat32, float32ToFloat16, intInfo } from '@lowbit/qparams';
import { DTYPE_SHORT } from '../tensor.js';
import { matmulInteger } from './matmul-integer.js';
import { requantMultiplier, requantize } from './requantize.js';
import { Q8, at, perTensorOr, q8Input, scaleInput, zeroPointInput } from './qinputs.js';

/** Rounds a double to the nearest float16 value (ties to even). */
export const round16 = (v: number): number => float16ToFloat32(float32ToFloat16(v));

function create(node: KernelNode): KernelInstance {
  return {
    run(inputs, ctx) {
      const a = q8Input(node, inputs, 0);
      const b = q8Input(node, inputs, 3);
      const yzpT = q8Input(node, inputs, 7);
      const p = planMatMul(node, a.dims, b.dims, 0, 3);
      const sa = scaleInput(node, inputs, 1);
      const sb = scaleInput(node, inputs, 4);
      const sy = scaleInput(node, inputs, 6);
      const aScale = perTensorOr(node, sa, 1, p.M, 'per-row');
      const za = perTensorOr(node, zeroPointInput(node, inputs, 2, a.dtype), 2, p.M, 'per-row');
      const bScale = perTensorOr(node, sb, 4, p.N, 'per-column');
      const zb = perTensorOr(node, zeroPointInput(node, inputs, 5, b.dtype), 5, p.N, 'per-column');
      const yScale = perTensorOr(node, sy, 6, p.M, 'per-row');
      const zy = perTensorOr(node, yzpT, 7, p.M, 'per-row');
      const half = sa.dtype === 'float16' && sb.dtype === 'float16' && sy.dtype === 'float16' ? round16 : undefined;
      const acc = new Int32Array(p.batch * p.M * p.N);
      matmulInteger(a.data, b.data, za, zb, acc, p);
      const y = ctx.alloc(yzpT.dtype, p.outDims);
      const { qmin, qmax } = intInfo(yzpT.dtype);
      const { M, N } = p;
      const mult = new Float64Array(M * N);
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) mult[i * N + j] = requantMultiplier(at(aScale, i), at(bScale, j), at(yScale, i), half);
      for (let t = 0; t < p.batch; t++) {
        for (let i = 0; i < M; i++) {
          const z = at(zy, i);
          for (let j = 0; j < N; j++) {
            const o = (t * M + i) * N + j;
            y.data[o] = requantize(acc[o], mult[i * N + j], z, qmin, qmax);
          }
        }
      }
      return [y];
    },
  };
}

export const QLINEAR_MATMUL_KERNELS: KernelVariant[] = Q8.flatMap((ta) => Q8.flatMap((tb) => Q8.map((ty): KernelVariant => ({
  key: `QLinearMatMul:${DTYPE_SHORT[ta]}x${DTYPE_SHORT[tb]}->${DTYPE_SHORT[ty]}`,
  name: 'scalar',
  isa: 'scalar',
  tolerance: 'exact',
  create,
}))));
