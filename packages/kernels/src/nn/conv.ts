/**
 * Conv (opset 1, 11, 22): float N-D convolution with groups, strides, dilations, pads and auto_pad, 1-3 spatial dims.
 *
 * `Y[n, m, o...] = B[m] + sum_{c, k...} X[n, g*C/group + c, o*s - pb + k*d ...] * W[m, c, k...]`
 *
 * Numerics: float32 accumulates each tap into a float32 accumulator (`acc = fround(acc + x*w)`, c outermost,
 * then kernel dims row-major), then adds the bias with one more float32 rounding; float64 does the same in double.
 * Padding contributes exact zeros. NaN/Inf propagate (0 * Inf = NaN). float16 runs through float32.
 *
 * Example: X = [[1,2],[3,4]] (1x1x2x2), W = ones(1x1x2x2), B = [0.5] -> Y = [[10.5]].
 */
import type { KernelNode, KernelVariant } from '../contract.js';
import { attrInt } from '../ops/util/attrs.js';
import { Tensor } from '../tensor.js';
import { expectRank, expectSize, fail, input, optionalInput } from './checks.js';
import { convAccumulate } from './conv-core.js';
import { floatVariants } from './float-variants.js';
import { forwardWindow, outSpatial, parseWindowAttrs, type WindowAttrs, type Window3 } from './window.js';

const F = ['float32', 'float64'] as const;

/** Shape checks shared by Conv, ConvInteger and QLinearConv; returns the geometry. */
export function convGeometry(node: KernelNode, a: WindowAttrs, group: number, x: Tensor, w: Tensor, wIndex: number): { win: Window3; N: number; C: number; M: number } {
  expectRank(node, x, 0, 3, 5);
  if (w.dims.length !== x.dims.length) fail(node, 'rank', { inputIndex: wIndex, expected: `rank ${x.dims.length} like X`, actual: `[${w.dims.join(', ')}]` });
  const [N, C] = x.dims;
  const M = w.dims[0];
  if (C !== w.dims[1] * group) fail(node, 'channels', { inputIndex: wIndex, expected: `W.dims[1] * group = ${C}`, actual: `${w.dims[1]} * ${group}` });
  if (M % group !== 0) fail(node, 'output channels', { inputIndex: wIndex, expected: `a multiple of group ${group}`, actual: `${M}` });
  const kShape = w.dims.slice(2);
  if (a.kernelShape && a.kernelShape.join(',') !== kShape.join(',')) {
    fail(node, 'attribute "kernel_shape"', { expected: `[${kShape.join(', ')}] (W's spatial dims)`, actual: `[${a.kernelShape.join(', ')}]` });
  }
  const win = forwardWindow(node, a, x.dims.slice(2), kShape, { pool: false });
  return { win, N, C, M };
}

export function parseGroup(node: KernelNode): number {
  const group = attrInt(node, 'group', 1);
  if (!Number.isInteger(group) || group < 1) fail(node, 'attribute "group"', { expected: 'an integer >= 1', actual: String(group) });
  return group;
}

export const CONV_KERNELS: KernelVariant[] = floatVariants({
  op: 'Conv',
  create(node) {
    const a = parseWindowAttrs(node);
    const group = parseGroup(node);
    return {
      run(inputs, ctx) {
        const x = input(node, inputs, 0, F);
        const w = input(node, inputs, 1, [x.dtype]);
        const b = optionalInput(node, inputs, 2, [x.dtype]);
        const { win, N, M } = convGeometry(node, a, group, x, w, 1);
        if (b) expectSize(node, b, 2, M, 'bias length');
        const y = ctx.alloc(x.dtype, [N, M, ...outSpatial(win)]);
        const acc = y.data;
        acc.fill(0);
        convAccumulate(x.data, w.data, acc, { batch: N, inChannels: x.dims[1], outChannels: M, group, win });
        if (b) {
          const plane = acc.length / (N * M || 1);
          for (let n = 0; n < N; n++) {
            for (let m = 0; m < M; m++) {
              const base = (n * M + m) * plane;
              for (let i = 0; i < plane; i++) acc[base + i] += b.data[m];
            }
          }
        }
        return [y];
      },
    };
  },
});
