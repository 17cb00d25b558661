/**
 * lowbit.DynamicQConv (Lowbit-internal, domain `lowbit`, version 1): the dynamic-int8 convolution that the runtime's
 * optimiser fuses from `DynamicQuantizeLinear -> ConvInteger -> Cast(float) -> Mul(., Mul(x_s, w_s)) [-> Add(bias)]`.
 *
 * Inputs: x (float32 [N, C, ...]), w (uint8|int8 [M, C/group, k...], usually constant), w_scale (float32, one value),
 * w_zero_point (w's dtype, 1 or M values), bias (optional float32, M values, added per output channel). Attributes as
 * Conv (group, strides, dilations, pads, auto_pad, kernel_shape). Output float32 [N, M, ...].
 *
 * Numerics, bit-identical to the unfused chain (same float32 operations in the same order):
 *   (x_q, x_s, x_zp) = DynamicQuantizeLinear(x)                          (`@lowbit/qparams` dynamicQuantize)
 *   acc = ConvInteger(x_q, w, x_zp, w_zp)                                 (exact int32, Conv's tap order)
 *   y   = fround(fround(acc) * fround(x_s * w_s))                         (Cast, Mul(x_s, w_s), Mul)
 *   y   = fround(y + bias[m])                                              (the Add, when bias is given)
 *   y   = activation(y)                                                    (a fused Relu or Clip, when given)
 * Attribute `activation` (int, default 0): 0 none; 1 Relu as the reference Relu (y > 0 ? y : (y is NaN ? y : 0), so
 * -0 gives +0); 2 Clip as the reference Clip with float attributes `activation_min` <= `activation_max` (lo then hi:
 * r = y < lo ? lo : y, then r > hi ? hi : r; NaN passes). The runtime fuses a Relu / Clip that is the convolution's
 * sole consumer (bit-identical to the separate node).
 * Example: x = [[[[1, 2]]]] (1x1x1x2), w = [[[[1, -1]]]] int8, w_s 1, zp 0 -> x_s = fround(2/255), x_q = [127, 255],
 * acc = -128, y = fround(-128 * x_s) = -1.00392...
 */
import { dynamicQuantize } from '@lowbit/qparams';
import type { KernelInstance, KernelNode, KernelVariant } from '../contract.js';
import { expectSize, input } from '../nn/checks.js';
import { attrFloat, attrInt } from '../ops/util/attrs.js';
import { kernelError } from '../ops/util/fail.js';
import { parseGroup } from '../nn/conv.js';
import { parseWindowAttrs } from '../nn/window.js';
import { Tensor } from '../tensor.js';
import { convIntegerCore } from './conv-integer.js';
import { LOWBIT_OP_DOMAIN } from './dynamic-qmatmul.js';
import { perTensorOr, q8Input, zeroPointInput } from './qinputs.js';
import { viaQParams } from './qparams-call.js';

/** The fused activation of a DynamicQConv node (attributes `activation`, `activation_min`, `activation_max`). */
function dynamicConvActivation(node: KernelNode): { kind: 0 | 1 | 2; lo: number; hi: number } {
  const kind = attrInt(node, 'activation', 0);
  if (kind !== 0 && kind !== 1 && kind !== 2) throw kernelError(node, 'attribute "activation"', { expected: '0 (none), 1 (Relu) or 2 (Clip)', actual: String(kind) });
  const lo = Math.fround(attrFloat(node, 'activation_min', -Infinity));
  const hi = Math.fround(attrFloat(node, 'activation_max', Infinity));
  if (kind === 2 && !(lo <= hi)) throw kernelError(node, 'attributes "activation_min" / "activation_max"', { expected: 'min <= max', actual: `${lo} > ${hi}` });
  return { kind, lo, hi };
}

function create(node: KernelNode): KernelInstance {
  const a = parseWindowAttrs(node);
  const group = parseGroup(node);
  const act = dynamicConvActivation(node);
  return {
    run(inputs, ctx) {
      const x = input(node, inputs, 0, ['float32'] as const);
      const w = q8Input(node, inputs, 1);
      const M = w.dims[0] ?? 1;
      const ws = perTensorOr(node, input(node, inputs, 2, ['float32'] as const), 2, 1, 'per-tensor');
      const zw = perTensorOr(node, zeroPointInput(node, inputs, 3, w.dtype), 3, M, 'per output channel');
      const bias = inputs[4] ? input(node, inputs, 4, ['float32'] as const) : null;
      if (bias) expectSize(node, bias, 4, M, 'bias length');
      const r = viaQParams(node, () => dynamicQuantize(x.data));
      const xq = new Tensor('uint8', r.y, x.dims);
      const { acc, dims } = convIntegerCore(node, a, group, xq, w, Float64Array.of(r.zeroPoint), zw, 1);
      const scale = Math.fround(r.scale * ws[0]);
      const y = ctx.alloc('float32', dims);
      const out = y.data;
      const plane = acc.length / ((dims[0] * M) || 1);
      for (let n = 0; n < dims[0]; n++) {
        for (let m = 0; m < M; m++) {
          const base = (n * M + m) * plane;
          const b = bias ? bias.data[m] : 0;
          for (let i = base; i < base + plane; i++) {
            const v = Math.fround(Math.fround(acc[i] | 0) * scale);
            out[i] = bias ? Math.fround(v + b) : v;
          }
          if (act.kind === 1) {
            for (let i = base; i < base + plane; i++) {
              const v = out[i];
              out[i] = v > 0 ? v : v === v ? 0 : v;
            }
          } else if (act.kind === 2) {
            for (let i = base; i < base + plane; i++) {
              const r = out[i] < act.lo ? act.lo : out[i];
              out[i] = r > act.hi ? act.hi : r;
            }
          }
        }
      }
      return [y];
    },
  };
}

export const DYNAMIC_QCONV_KERNELS: KernelVariant[] = [{
  key: `${LOWBIT_OP_DOMAIN}.DynamicQConv:f32`,
  name: 'scalar',
  isa: 'scalar',
  tolerance: 'exact',
  create,
}];

