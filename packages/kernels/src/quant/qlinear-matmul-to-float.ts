/**
 * lowbit.QLinearMatMulToFloat (Lowbit-internal, domain `lowbit`, version 1): a QLinearMatMul whose 8-bit output is
 * only dequantized (and given a bias), which the runtime's optimiser fuses from
 *
 *   QLinearMatMul(a, a_s, a_zp, b, b_s, b_zp, y_s, y_zp) -> DequantizeLinear(., y_s, y_zp) [-> Add(., bias)]
 *
 * (what a static QDQ MatMul with a float bias Add becomes). Inputs: QLinearMatMul's eight, then bias (optional,
 * float32, 1 or N values along the last axis), then residual (optional, float32: the other operand of an Add that read
 * the result, which the optimiser's `fuse-residual-add` folds in). y_scale float32 and y_zero_point per tensor.
 * Output float32, the QLinearMatMul's dims (or their broadcast with the residual's).
 *
 * Numerics, bit-identical to the unfused nodes (the same steps):
 *   q[o] = QLinearMatMul(...)[o]                       (exact int32 GEMM, `requantize`, see qlinear-matmul.ts)
 *   y[o] = fround((q[o] - y_zp) * y_scale)             (DequantizeLinear)
 *   y[o] = fround(y[o] + bias[j])                      (the Add, when bias is given)
 *   y    = fround(y + residual)                        (the residual Add, broadcast as ONNX's: `addResidual`)
 * Example: a = [[2, 3]], b = [[4], [5]], zero points 0, a_s = b_s = 0.5, y_s = 1 -> q = 6; bias [0.25] -> 6.25.
 */
import type { KernelInstance, KernelNode, KernelVariant } from '../contract.js';
import { fail, input } from '../nn/checks.js';
import { addResidual } from './dynamic-qmatmul.js';
import { QLINEAR_MATMUL_KERNELS } from './qlinear-matmul.js';
import { at, perTensorOr, q8Input } from './qinputs.js';

function create(node: KernelNode): KernelInstance {
  const qlinear = QLINEAR_MATMUL_KERNELS[0].create({ ...node, opType: 'QLinearMatMul', domain: '', inputTypes: node.inputTypes.slice(0, 8) });
  return {
    run(inputs, ctx) {
      const ys = input(node, inputs, 6, ['float32'] as const);
      const yz = q8Input(node, inputs, 7);
      if (ys.data.length !== 1 || yz.data.length !== 1) fail(node, 'input[6], input[7] (y_scale, y_zero_point)', { expected: 'one value each (per tensor)', actual: `${ys.data.length} and ${yz.data.length}` });
      const q = qlinear.run(inputs.slice(0, 8), ctx)[0]!;
      const N = q.dims.length ? q.dims[q.dims.length - 1] : 1;
      const bias = inputs[8] ? perTensorOr(node, input(node, inputs, 8, ['float32'] as const), 8, N, 'per-column') : undefined;
      const s = ys.data[0];
      const z = yz.data[0];
      const y = ctx.alloc('float32', q.dims);
      const qd = q.data as ArrayLike<number>;
      for (let o = 0; o < qd.length; o++) {
        const v = Math.fround((qd[o] - z) * s);
        y.data[o] = bias ? Math.fround(v + at(bias, o % N)) : v;
      }
      return [addResidual(node, y, inputs, 9, ctx)];
    },
  };
}

export const QLINEAR_MATMUL_TO_FLOAT_KERNELS: KernelVariant[] = (['u8', 'i8'] as const).map((a): KernelVariant => ({
  key: `lowbit.QLinearMatMulToFloat:${a}`,
  name: 'scalar',
  isa: 'scalar',
  tolerance: 'exact',
  create,
}));
