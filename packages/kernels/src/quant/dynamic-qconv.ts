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
 * r = y < lo ? lo : y, then r > hi ? hi : r; NaN passes); 3 the HardSwish decomposition
 * Div(Mul(y, Clip(Add(y, activation_add), activation_min, activation_max)), activation_div), its four float32 steps;
 * 4 HardSigmoid as the reference (max(0, min(1, activation_alpha * y + activation_beta)) in double, rounded once).
 * The runtime fuses these when they alone read the convolution's output (bit-identical to the separate nodes).
 * Example: x = [[[[1, 2]]]] (1x1x1x2), w = [[[[1, -1]]]] int8, w_s 1, zp 0 -> x_s = fround(2/255), x_q = [127, 255],
 * acc = -128, y = fround(-128 * x_s) = -1.00392...
 *
 * The quantized-input form (kernel key `lowbit.DynamicQConv:u8`): input 0 is x_q (uint8), already quantized, and
 * inputs 5 and 6 are its x_scale (float32, one value) and x_zero_point (uint8, one value), the outputs of a
 * DynamicQuantizeLinear(x) that the runtime keeps once for every convolution reading x (siblings share it). The steps
 * from `acc` on are the same, so it is bit-identical to the float form on DynamicQuantizeLinear's outputs.
 * Example: x_q = [127, 255], x_s = fround(2/255), x_zp = 0 with the w above -> the same y.
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
function dynamicConvActivation(node: KernelNode): (y: number) => number {
  const kind = attrInt(node, 'activation', 0);
  if (kind < 0 || kind > 4 || !Number.isInteger(kind)) {
    throw kernelError(node, 'attribute "activation"', { expected: '0 (none), 1 (Relu), 2 (Clip), 3 (HardSwish decomposition) or 4 (HardSigmoid)', actual: String(kind) });
  }
  const f = (name: string, dflt: number) => Math.fround(attrFloat(node, name, dflt));
  const lo = f('activation_min', -Infinity);
  const hi = f('activation_max', Infinity);
  if ((kind === 2 || kind === 3) && !(lo <= hi)) throw kernelError(node, 'attributes "activation_min" / "activation_max"', { expected: 'min <= max', actual: `${lo} > ${hi}` });
  const clip = (v: number) => {
    const r = v < lo ? lo : v;
    return r > hi ? hi : r;
  };
  if (kind === 1) return (v) => (v > 0 ? v : v === v ? 0 : v);
  if (kind === 2) return clip;
  if (kind === 3) {
    const add = f('activation_add', 3);
    const div = f('activation_div', 6);
    return (v) => Math.fround(Math.fround(v * clip(Math.fround(v + add))) / div);
  }
  if (kind === 4) {
    const alpha = f('activation_alpha', 0.2);
    const beta = f('activation_beta', 0.5);
    return (v) => Math.fround(Math.max(0, Math.min(1, alpha * v + beta)));
  }
  return (v) => v;
}

function create(node: KernelNode, quantizedInput: boolean): KernelInstance {
  const a = parseWindowAttrs(node);
  const group = parseGroup(node);
  const act = dynamicConvActivation(node);
  const hasAct = attrInt(node, 'activation', 0) !== 0;
  return {
    run(inputs, ctx) {
      const w = q8Input(node, inputs, 1);
      const M = w.dims[0] ?? 1;
      const ws = perTensorOr(node, input(node, inputs, 2, ['float32'] as const), 2, 1, 'per-tensor');
      const zw = perTensorOr(node, zeroPointInput(node, inputs, 3, w.dtype), 3, M, 'per output channel');
      const bias = inputs[4] ? input(node, inputs, 4, ['float32'] as const) : null;
      if (bias) expectSize(node, bias, 4, M, 'bias length');
      const { xq, r } = quantizedInput ? givenInput(node, inputs) : quantizeInput(node, inputs);
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
          if (hasAct) for (let i = base; i < base + plane; i++) out[i] = act(out[i]);
        }
      }
      return [y];
    },
  };
}

/** The float form: x quantized here (`@lowbit/qparams` dynamicQuantize, as DynamicQuantizeLinear). */
function quantizeInput(node: KernelNode, inputs: readonly (Tensor | null)[]): { xq: Tensor<'uint8'>; r: { scale: number; zeroPoint: number } } {
  const x = input(node, inputs, 0, ['float32'] as const);
  const r = viaQParams(node, () => dynamicQuantize(x.data));
  return { xq: new Tensor('uint8', r.y, x.dims), r };
}

/** The quantized-input form: x_q (input 0), x_scale (5) and x_zero_point (6) as DynamicQuantizeLinear gave them. */
function givenInput(node: KernelNode, inputs: readonly (Tensor | null)[]): { xq: Tensor<'uint8'>; r: { scale: number; zeroPoint: number } } {
  const xq = input(node, inputs, 0, ['uint8'] as const);
  const xs = input(node, inputs, 5, ['float32'] as const);
  const xz = input(node, inputs, 6, ['uint8'] as const);
  expectSize(node, xs, 5, 1, 'x_scale (one value)');
  expectSize(node, xz, 6, 1, 'x_zero_point (one value)');
  return { xq, r: { scale: xs.data[0], zeroPoint: xz.data[0] } };
}

/**
 * lowbit.DynamicQConvQuantize (domain `lowbit`, version 1): a DynamicQConv whose float output only
 * DynamicQuantizeLinear-consuming readers use, quantized in the same node. Inputs and attributes exactly as
 * lowbit.DynamicQConv (both forms: key `lowbit.DynamicQConvQuantize:f32` with x float32, `:u8` with x_q, x_scale,
 * x_zero_point as inputs 0, 5, 6). Outputs (y_q uint8 [N, M, ...], y_scale float32 scalar, y_zero_point uint8 scalar)
 * exactly DynamicQuantizeLinear(DynamicQConv(...)) (`@lowbit/qparams` dynamicQuantize on the float result): this
 * reference is that composition. A non-finite float result is a KernelError, as DynamicQuantizeLinear reports it.
 * Example: x = [[[[1, 2]]]], w = [[[[1, -1]]]] int8, w_s 1, zp 0 -> y = fround(-128 * fround(2/255)) = -1.00392...,
 * so y_scale = fround(1.00392... / 255), y_zero_point 255, y_q = [0].
 */
function createQuantize(node: KernelNode, quantizedInput: boolean): KernelInstance {
  const conv = create(node, quantizedInput);
  return {
    run(inputs, ctx) {
      const [y] = conv.run(inputs, ctx) as [Tensor<'float32'>];
      const r = viaQParams(node, () => dynamicQuantize(y.data));
      const q = ctx.alloc('uint8', y.dims);
      q.data.set(r.y);
      const scale = ctx.alloc('float32', []);
      scale.data[0] = r.scale;
      const zp = ctx.alloc('uint8', []);
      zp.data[0] = r.zeroPoint;
      return [q, scale, zp];
    },
  };
}

export const DYNAMIC_QCONV_KERNELS: KernelVariant[] = [{
  key: `${LOWBIT_OP_DOMAIN}.DynamicQConvQuantize:f32`,
  name: 'scalar',
  isa: 'scalar',
  tolerance: 'exact',
  create: (node) => createQuantize(node, false),
}, {
  key: `${LOWBIT_OP_DOMAIN}.DynamicQConvQuantize:u8`,
  name: 'scalar',
  isa: 'scalar',
  tolerance: 'exact',
  create: (node) => createQuantize(node, true),
}, {
  key: `${LOWBIT_OP_DOMAIN}.DynamicQConv:f32`,
  name: 'scalar',
  isa: 'scalar',
  tolerance: 'exact',
  create: (node) => create(node, false),
}, {
  key: `${LOWBIT_OP_DOMAIN}.DynamicQConv:u8`,
  name: 'scalar',
  isa: 'scalar',
  tolerance: 'exact',
  create: (node) => create(node, true),
}];

