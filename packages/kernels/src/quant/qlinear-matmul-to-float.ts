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
import { attrInts } from '../ops/util/attrs.js';
import { Tensor } from '../tensor.js';
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

/**
 * lowbit.QLinearMatMulToFloatSplit (domain `lowbit`, version 1): sibling QLinearMatMulToFloats of one quantized input
 * (a, a_scale, a_zero_point) as one GEMM, which the optimiser's `fuse-qlinear-siblings` makes of a transformer's Q, K
 * and V projections. Inputs: a, a_scale, a_zero_point; b [K, N] (the siblings' B side by side), b_scale and
 * b_zero_point (1 or N values); y_scale and y_zero_point (one value per sibling, [G]); bias (optional, 1 or N values).
 * Attribute `splits` (ints, each >= 1, summing to N). Output g: QLinearMatMulToFloat of a with the columns
 * [off_g, off_g + splits[g]) of b and its parameters, y_scale[g], y_zero_point[g] (and that part of the bias), each
 * column computed exactly as by that sibling alone, so bit-identical to it.
 */
function createSplit(node: KernelNode): KernelInstance {
  const single = create({ ...node, opType: 'QLinearMatMulToFloat', inputTypes: node.inputTypes.slice(0, 9) });
  return {
    run(inputs, ctx) {
      const splits = attrInts(node, 'splits') ?? [];
      const b = q8Input(node, inputs, 3);
      const bs = input(node, inputs, 4, ['float32'] as const);
      const bz = inputs[5] ?? null;
      const ys = input(node, inputs, 6, ['float32'] as const);
      const yz = q8Input(node, inputs, 7);
      const bias = inputs[8] ?? null;
      const N = b.dims.length === 2 ? b.dims[1] : -1;
      if (splits.length === 0 || splits.some((n) => !(n >= 1)) || splits.reduce((x, y) => x + y, 0) !== N) {
        fail(node, 'attribute splits', { expected: `widths >= 1 summing to b's columns (${N})`, actual: `[${splits.join(', ')}]` });
      }
      if (ys.data.length !== splits.length || yz.data.length !== splits.length) {
        fail(node, 'input[6], input[7] (y_scale, y_zero_point)', { expected: `one value per split (${splits.length})`, actual: `${ys.data.length} and ${yz.data.length}` });
      }
      const K = b.dims[0];
      const cols = (t: Tensor, off: number, n: number): Tensor => {
        if (t.data.length === 1) return t;
        const d = (t.data as Float32Array | Uint8Array | Int8Array).slice(off, off + n);
        return new Tensor(t.dtype, d as never, [n]);
      };
      let off = 0;
      return splits.map((n, g) => {
        const bd = b.data as Uint8Array | Int8Array;
        const part = new (bd.constructor as Uint8ArrayConstructor)(K * n);
        for (let k = 0; k < K; k++) part.set(bd.subarray(k * N + off, k * N + off + n), k * n);
        const sub: (Tensor | null)[] = [inputs[0] ?? null, inputs[1] ?? null, inputs[2] ?? null, new Tensor(b.dtype, part as never, [K, n]), cols(bs, off, n), bz ? cols(bz, off, n) : null,
          new Tensor('float32', Float32Array.of(ys.data[g]), []), new Tensor(yz.dtype, yz.data.slice(g, g + 1) as never, []), bias ? cols(bias, off, n) : null];
        off += n;
        return single.run(sub, ctx)[0]!;
      });
    },
  };
}

export const QLINEAR_MATMUL_TO_FLOAT_KERNELS: KernelVariant[] = (['u8', 'i8'] as const).flatMap((a): KernelVariant[] => [{
  key: `lowbit.QLinearMatMulToFloat:${a}`,
  name: 'scalar',
  isa: 'scalar',
  tolerance: 'exact',
  create,
}, {
  key: `lowbit.QLinearMatMulToFloatSplit:${a}`,
  name: 'scalar',
  isa: 'scalar',
  tolerance: 'exact',
  create: createSplit,
}]);
