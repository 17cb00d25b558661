/**
 * lowbit.QGemm (Lowbit-internal, domain `lowbit`, version 1): a quantized Gemm with int32 bias and requantized 8-bit
 * output, what the runtime's optimiser fuses a static QDQ Gemm group into (`DQ(a), DQ(b) [, DQ(c int32)] -> Gemm
 * (transA 0, alpha 1, beta 1) [-> Relu|Clip] -> Q`).
 *
 *   acc[i, j] = C[j] + sum_k (a[i, k] - a_zp) * (B[k, j] - b_zp[j])        (exact int32, k ascending; B = b or b^T)
 *   y[i, j]   = requantize(acc, fround(fround(a_scale * b_scale[j]) / y_scale), y_zp)   (see `requantize`)
 *
 * Inputs: a [M, K], a_scale, a_zero_point (per-tensor), b ([K, N], or [N, K] with transB = 1), b_scale, b_zero_point
 * (per-tensor or N values), y_scale, y_zero_point (per-tensor; y's dtype is y_zero_point's), C (optional int32, 1 or N
 * values). Attribute transB (default 0). Rounding ties-to-even, saturation to the output range.
 *
 * Example: a = [[2, 3]], b = [[4], [5]], zero points 0, scales 0.5, 0.5, y_scale 1, C = [1] -> acc 24, 24 * 0.25 = 6.
 */
import type { KernelInstance, KernelNode, KernelVariant } from '../contract.js';
import { expectRank, fail, input } from '../nn/checks.js';
import { planMatMul } from '../nn/matmul-shape.js';
import { attrInt } from '../ops/util/attrs.js';
import { DTYPE_SHORT } from '../tensor.js';
import { LOWBIT_OP_DOMAIN } from './dynamic-qmatmul.js';
import { matmulInteger } from './matmul-integer.js';
import { intInfo } from '@lowbit/qparams';
import { requantMultiplier, requantize } from './requantize.js';
import { Q8, at, perTensorOr, q8Input, zeroPointInput } from './qinputs.js';

function create(node: KernelNode): KernelInstance {
  const transB = attrInt(node, 'transB', 0);
  if (transB !== 0 && transB !== 1) fail(node, 'attribute "transB"', { expected: '0 or 1', actual: String(transB) });
  return {
    run(inputs, ctx) {
      const a = q8Input(node, inputs, 0);
      const b = q8Input(node, inputs, 3);
      const yzpT = q8Input(node, inputs, 7);
      expectRank(node, a, 0, 2, 2);
      expectRank(node, b, 3, 2, 2);
      const [K, N] = transB ? [b.dims[1], b.dims[0]] : [b.dims[0], b.dims[1]];
      let bk: ArrayLike<number> = b.data;
      if (transB) {
        const t = new Int32Array(K * N);
        for (let j = 0; j < N; j++) for (let k = 0; k < K; k++) t[k * N + j] = b.data[j * K + k];
        bk = t;
      }
      const p = planMatMul(node, a.dims, [K, N], 0, 3);
      const sa = perTensorOr(node, input(node, inputs, 1, ['float32'] as const), 1, 1, 'per-tensor');
      const za = perTensorOr(node, zeroPointInput(node, inputs, 2, a.dtype), 2, 1, 'per-tensor');
      const sb = perTensorOr(node, input(node, inputs, 4, ['float32'] as const), 4, N, 'per-column');
      const zb = perTensorOr(node, zeroPointInput(node, inputs, 5, b.dtype), 5, N, 'per-column');
      const sy = perTensorOr(node, input(node, inputs, 6, ['float32'] as const), 6, 1, 'per-tensor');
      const zy = perTensorOr(node, yzpT, 7, 1, 'per-tensor');
      const bias = inputs[8] ? perTensorOr(node, input(node, inputs, 8, ['int32'] as const), 8, N, 'per-column') : undefined;
      const acc = new Int32Array(p.M * N);
      matmulInteger(a.data, bk, za, zb, acc, p);
      const mult = Float64Array.from({ length: N }, (_, j) => requantMultiplier(sa[0], at(sb, j), sy[0]));
      const y = ctx.alloc(yzpT.dtype, p.outDims);
      const { qmin, qmax } = intInfo(yzpT.dtype);
      for (let o = 0; o < acc.length; o++) {
        const j = o % N;
        y.data[o] = requantize(bias ? (acc[o] + at(bias, j)) | 0 : acc[o], mult[j], zy[0], qmin, qmax);
      }
      return [y];
    },
  };
}

export const QGEMM_KERNELS: KernelVariant[] = Q8.map((ta): KernelVariant => ({
  key: `${LOWBIT_OP_DOMAIN}.QGemm:${DTYPE_SHORT[ta]}`,
  name: 'scalar',
  isa: 'scalar',
  tolerance: 'exact',
  create,
}));
