/**
 * ConvInteger (opset 10): integer convolution with zero points, int32 result.
 *
 *   Y[n, m, o...] = sum_{c, k...} (X[n, g*C/group + c, o*s - pb + k*d ...] - x_zero_point) * (W[m, c, k...] - w_zero_point[m])
 *
 * X and W are uint8 or int8 independently (keys `ConvInteger:u8xi8->i32` etc.). x_zero_point is a scalar;
 * w_zero_point a scalar or one value per output channel M. Padding holds x_zero_point, so padded taps contribute 0.
 * Attributes as Conv (group, strides, dilations, pads, auto_pad, kernel_shape), 1-3 spatial dims.
 *
 * Numerics: exact int32 accumulation in Conv's order (c, then kernel taps), wrapping modulo 2^32 like an int32
 * register (never reached by 8-bit convolutions below 33025 taps).
 *
 * Example: X = [[1, 2], [3, 4]] (zp 1), W = ones(2x2) (zp 0) -> (0 + 1 + 2 + 3) = [[6]].
 */
import type { KernelInstance, KernelNode, KernelVariant } from '../contract.js';
import { convAccumulate } from '../nn/conv-core.js';
import { convGeometry, parseGroup } from '../nn/conv.js';
import { outSpatial, parseWindowAttrs, type WindowAttrs } from '../nn/window.js';
import { DTYPE_SHORT, type Tensor } from '../tensor.js';
import { Q8, at, perTensorOr, q8Input, zeroPointInput } from './qinputs.js';

/**
 * Centered copies `x - zx` and `w - zw[m]`, and the int32 convolution of them. When no sum can leave the int32 range
 * (`taps * 255 * 255 < 2^31`, i.e. fewer than 33026 taps per output: 8-bit operands minus in-range zero points differ
 * by at most 255) the loop runs on float64 storage, where every partial sum is an exact integer (faster in JavaScript
 * engines than Int32Array arithmetic, same values); otherwise on Int32Array storage, which wraps like an int32
 * register.
 */
export function convIntegerCore(node: KernelNode, a: WindowAttrs, group: number, x: Tensor, w: Tensor, zx: Float64Array, zw: Float64Array, wIndex: number): { acc: Int32Array | Float64Array; dims: number[]; M: number } {
  const { win, N, C, M } = convGeometry(node, a, group, x, w, wIndex);
  const xd = x.data as ArrayLike<number>;
  const wd = w.data as ArrayLike<number>;
  const per = wd.length / (M || 1);
  const z0 = zx[0];
  const inRange = (z: number) => z >= -128 && z <= 255;
  const exactInDouble = per * 255 * 255 < 2 ** 31 && inRange(z0) && Array.from(zw).every(inRange);
  const xc = exactInDouble ? new Float32Array(xd.length) : new Int32Array(xd.length);
  for (let i = 0; i < xd.length; i++) xc[i] = xd[i] - z0;
  const wc = exactInDouble ? new Float32Array(wd.length) : new Int32Array(wd.length);
  for (let m = 0; m < M; m++) {
    const z = at(zw, m);
    for (let i = m * per; i < (m + 1) * per; i++) wc[i] = wd[i] - z;
  }
  const dims = [N, M, ...outSpatial(win)];
  const size = dims.reduce((p, d) => p * d, 1);
  const acc = exactInDouble ? new Float64Array(size) : new Int32Array(size);
  convAccumulate(xc, wc, acc, { batch: N, inChannels: C, outChannels: M, group, win });
  return { acc, dims, M };
}

function create(node: KernelNode): KernelInstance {
  const a = parseWindowAttrs(node);
  const group = parseGroup(node);
  return {
    run(inputs, ctx) {
      const x = q8Input(node, inputs, 0);
      const w = q8Input(node, inputs, 1);
      const zx = perTensorOr(node, zeroPointInput(node, inputs, 2, x.dtype), 2, 1, 'per-tensor');
      const zw = perTensorOr(node, zeroPointInput(node, inputs, 3, w.dtype), 3, w.dims[0] ?? 1, 'per output channel');
      const { acc, dims } = convIntegerCore(node, a, group, x, w, zx, zw, 1);
      const y = ctx.alloc('int32', dims);
      y.data.set(acc);
      return [y];
    },
  };
}

export const CONV_INTEGER_KERNELS: KernelVariant[] = Q8.flatMap((tx) => Q8.map((tw): KernelVariant => ({
  key: `ConvInteger:${DTYPE_SHORT[tx]}x${DTYPE_SHORT[tw]}->i32`,
  name: 'scalar',
  isa: 'scalar',
  tolerance: 'exact',
  create,
})));
