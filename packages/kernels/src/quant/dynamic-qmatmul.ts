/**
 * lowbit.DynamicQMatMul (Lowbit-internal, domain `lowbit`, version 1): the dynamic-int8 GEMM that the runtime's
 * optimiser fuses from `DynamicQuantizeLinear -> MatMulInteger -> Cast(float) -> Mul(x_s * w_s) -> Mul [-> Add(bias)]`.
 *
 * Inputs: x (float32, [..., M, K]), w (uint8|int8 [K, N], usually constant), w_scale (float32, 1 or N values),
 * w_zero_point (w's dtype, 1 or N values), bias (optional float32, 1 or N values). Output float32 [..., M, N].
 *
 * Numerics, bit-identical to the unfused chain (same float32 operations in the same order):
 *   (x_q, x_s, x_zp) = DynamicQuantizeLinear(x)                         (`@lowbit/qparams` dynamicQuantize)
 *   acc[i, j] = sum_k (x_q[i, k] - x_zp) * (w[k, j] - w_zp[j])           (exact int32, k ascending, as MatMulInteger)
 *   y[i, j]   = fround(fround(acc[i, j]) * fround(x_s * w_s[j]))        (Cast, then Mul(x_s, w_s), then Mul)
 *   y[i, j]   = fround(y[i, j] + bias[j])                                 (when bias is given: the Add)
 * NaN/infinite x is a KernelError (as DynamicQuantizeLinear). Example: x = [[1, 2]], w = [[1], [-1]] int8, w_s 1/127,
 * zp 0 -> x_s = fround(2/255), 1 / x_s = 127.4999.. so x_q = [127, 255], acc = -128,
 * y = fround(-128 * fround(x_s * fround(1/127))) = -0.0079049...
 */
import { dynamicQuantize } from '@lowbit/qparams';
import type { KernelInstance, KernelNode, KernelVariant } from '../contract.js';
import { input } from '../nn/checks.js';
import { planMatMul } from '../nn/matmul-shape.js';
import { matmulInteger } from './matmul-integer.js';
import { at, perTensorOr, q8Input, zeroPointInput } from './qinputs.js';
import { viaQParams } from './qparams-call.js';

/** The domain of Lowbit's internal ops. */
export const LOWBIT_OP_DOMAIN = 'lowbit';

function create(node: KernelNode): KernelInstance {
  return {
    run(inputs, ctx) {
      const x = input(node, inputs, 0, ['float32'] as const);
      const w = q8Input(node, inputs, 1);
      const p = planMatMul(node, x.dims, w.dims, 0, 1);
      const ws = perTensorOr(node, input(node, inputs, 2, ['float32'] as const), 2, p.N, 'per-column');
      const zw = perTensorOr(node, zeroPointInput(node, inputs, 3, w.dtype), 3, p.N, 'per-column');
      const bias = inputs[4] ? perTensorOr(node, input(node, inputs, 4, ['float32'] as const), 4, p.N, 'per-column') : undefined;
      const r = viaQParams(node, () => dynamicQuantize(x.data));
      const acc = new Int32Array(p.batch * p.M * p.N);
      matmulInteger(r.y, w.data, Float64Array.of(r.zeroPoint), zw, acc, p);
      const scale = new Float64Array(p.N);
      for (let j = 0; j < p.N; j++) scale[j] = Math.fround(r.scale * at(ws, j));
      const y = ctx.alloc('float32', p.outDims);
      const N = p.N;
      for (let o = 0; o < acc.length; o++) {
        const j = o % N;
        const v = Math.fround(Math.fround(acc[o]) * scale[j]);
        y.data[o] = bias ? Math.fround(v + at(bias, j)) : v;
      }
      return [y];
    },
  };
}

export const DYNAMIC_QMATMUL_KERNELS: KernelVariant[] = [{
  key: `${LOWBIT_OP_DOMAIN}.DynamicQMatMul:f32`,
  name: 'scalar',
  isa: 'scalar',
  tolerance: 'exact',
  create,
}];
