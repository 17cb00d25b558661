/**
 * lowbit.DynamicQMatMul (Lowbit-internal, domain `lowbit`, version 1): the dynamic-int8 GEMM that the runtime's
 * optimiser fuses from `DynamicQuantizeLinear -> MatMulInteger -> Cast(float) -> Mul(x_s * w_s) -> Mul [-> Add(bias)]`.
 *
 * Inputs: x (float32, [..., M, K]), w (uint8|int8 [K, N], usually constant), w_scale (float32, 1 or N values),
 * w_zero_point (w's dtype, 1 or N values), bias (optional float32, 1 or N values), residual (optional float32, input 5:
 * the other operand of an Add that read the product, which the optimiser's `fuse-residual-add` folds in). Output float32
 * [..., M, N], or the broadcast of that shape with the residual's.
 *
 * Numerics, bit-identical to the unfused chain (same float32 operations in the same order):
 *   (x_q, x_s, x_zp) = DynamicQuantizeLinear(x)                         (`@lowbit/qparams` dynamicQuantize)
 *   acc[i, j] = sum_k (x_q[i, k] - x_zp) * (w[k, j] - w_zp[j])           (exact int32, k ascending, as MatMulInteger)
 *   y[i, j]   = fround(fround(acc[i, j]) * fround(x_s * w_s[j]))        (Cast, then Mul(x_s, w_s), then Mul)
 *   y[i, j]   = fround(y[i, j] + bias[j])                                 (when bias is given: the Add)
 * y         = fround(y + residual)                                     (when a residual is given: that Add, broadcast as
                                                                          ONNX's; float addition commutes, so either
                                                                          operand order of the Add gives these bits)
 * NaN/infinite x is a KernelError (as DynamicQuantizeLinear). Example: x = [[1, 2]], w = [[1], [-1]] int8, w_s 1/127,
 * zp 0 -> x_s = fround(2/255), 1 / x_s = 127.4999.. so x_q = [127, 255], acc = -128,
 * y = fround(-128 * fround(x_s * fround(1/127))) = -0.0079049...
 */
import { dynamicQuantize } from '@lowbit/qparams';
import type { KernelInstance, KernelNode, KernelVariant, RunContext } from '../contract.js';
import { fail, input, optionalInput } from '../nn/checks.js';
import { attrInts } from '../ops/util/attrs.js';
import { planMatMul } from '../nn/matmul-shape.js';
import { matmulInteger } from './matmul-integer.js';
import { broadcastIndex, broadcastShapes } from '../ops/util/broadcast.js';
import type { Tensor } from '../tensor.js';
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
      return [addResidual(node, y, inputs, 5, ctx)];
    },
  };
}

/**
 * The last step of a GEMM with a folded residual Add (lowbit.DynamicQMatMul's input 5, QLinearMatMulToFloat's input
 * 9): y + residual (input `index`) as ONNX Add, float32, broadcast both ways; y itself when there is no residual.
 * Equal shapes add in place (y is the kernel's own output); others into a new tensor of the broadcast shape. Shared
 * with the native variants, which add equal shapes in their GEMM's epilogue and call this for the rest.
 */
export function addResidual(node: KernelNode, y: Tensor<'float32'>, inputs: readonly (Tensor | null)[], index: number, ctx: RunContext): Tensor<'float32'> {
  const r = optionalInput(node, inputs, index, ['float32'] as const);
  if (!r) return y;
  const outDims = broadcastShapes(node, [y.dims, r.dims]);
  const iy = broadcastIndex(outDims, y.dims), ir = broadcastIndex(outDims, r.dims);
  const out = iy ? ctx.alloc('float32', outDims) : y;
  for (let o = 0; o < out.data.length; o++) out.data[o] = Math.fround(y.data[iy ? iy[o] : o] + r.data[ir ? ir[o] : o]);
  return out;
}

/**
 * lowbit.DynamicQMatMulSplit (domain `lowbit`, version 1): sibling DynamicQMatMuls of one input as one GEMM, which the
 * optimiser's `fuse-dynamic-siblings` makes of a transformer's Q, K and V projections. Inputs as DynamicQMatMul's
 * first five (x, w [K, N] the siblings' weights side by side, w_scale / w_zero_point / bias 1 or N values; no
 * residual); attribute `splits` (ints, each >= 1, summing to N); one output per split, output g the columns
 * [off_g, off_g + splits[g]) of DynamicQMatMul(x, w, ..) ([..., M, splits[g]]). Column j of the result depends only on
 * x (quantized once, as each sibling quantized it) and column j's weights, scale, zero point and bias, so every output
 * is bit-identical to its sibling's DynamicQMatMul. Example: splits [1, 1] of the DynamicQMatMul example's w = [[1, 2],
 * [-1, -2]] gives y0 = [[-0.0079049..]] and y1 = [[-0.0158098..]].
 */
function createSplit(node: KernelNode): KernelInstance {
  const whole = create(node);
  return {
    run(inputs, ctx) {
      const splits = attrInts(node, 'splits') ?? [];
      if (inputs[5]) fail(node, 'input[5]', { expected: 'no residual (DynamicQMatMulSplit has five inputs)', actual: 'a residual' });
      const [y] = whole.run(inputs.slice(0, 5), ctx) as [Tensor<'float32'>];
      const N = y.dims[y.dims.length - 1];
      if (splits.length === 0 || splits.some((n) => !(n >= 1)) || splits.reduce((a, b) => a + b, 0) !== N) {
        fail(node, 'attribute splits', { expected: `widths >= 1 summing to N = ${N}`, actual: `[${splits.join(', ')}]` });
      }
      const rows = y.data.length / N;
      let off = 0;
      return splits.map((n) => {
        const out = ctx.alloc('float32', [...y.dims.slice(0, -1), n]);
        for (let i = 0; i < rows; i++) out.data.set(y.data.subarray(i * N + off, i * N + off + n), i * n);
        off += n;
        return out;
      });
    },
  };
}

export const DYNAMIC_QMATMUL_KERNELS: KernelVariant[] = [{
  key: `${LOWBIT_OP_DOMAIN}.DynamicQMatMul:f32`,
  name: 'scalar',
  isa: 'scalar',
  tolerance: 'exact',
  create,
}, {
  key: `${LOWBIT_OP_DOMAIN}.DynamicQMatMulSplit:f32`,
  name: 'scalar',
  isa: 'scalar',
  tolerance: 'exact',
  create: createSplit,
}];
