/**
 * ConvTranspose (opset 1, 11, 22): float transposed (fractionally strided) convolution, 1-3 spatial dims.
 *
 * X is `[N, C, i...]`, W is `[C, M/group, k...]`, Y is `[N, M, o...]`. Every input element scatters:
 *
 *   Y[n, g*M/group + m, i*s - pb + k*d ...] += X[n, g*C/group + c, i...] * W[g*C/group + c, m, k...]
 *
 * then `B[m]` is added. Output size per spatial dim:
 * - `output_shape` given: that size; total padding `max(0, s*(in-1) + output_padding + (k-1)*d + 1 - out)` is split
 *   `pb = total - floor(total/2)`, `pe = floor(total/2)`, except SAME_UPPER which puts the smaller half first.
 * - auto_pad SAME_UPPER/SAME_LOWER: `out = in * s`, padding split the same way.
 * - otherwise `out = s*(in-1) + output_padding + (k-1)*d + 1 - pb - pe`.
 * Output positions no input reaches hold only the bias.
 *
 * Numerics: float32 accumulator (`fround(acc + x*w)` per contribution) in scatter order (c, m, kernel taps, input
 * position), bias added last; float64 in double; float16 via float32. NaN/Inf propagate.
 *
 * Example: X = [1, 2] (1x1x2), W = [1, 1] (1x1x2), stride 1 -> Y = [1, 3, 2].
 */
import type { KernelVariant } from '../contract.js';
import { attrInts } from '../ops/util/attrs.js';
import { expectRank, expectSize, fail, input, optionalInput } from './checks.js';
import { parseGroup } from './conv.js';
import { floatVariants } from './float-variants.js';
import { lift3, parseWindowAttrs } from './window.js';

const F = ['float32', 'float64'] as const;

export const CONV_TRANSPOSE_KERNELS: KernelVariant[] = floatVariants({
  op: 'ConvTranspose',
  create(node) {
    const a = parseWindowAttrs(node);
    const group = parseGroup(node);
    const outputPadding = attrInts(node, 'output_padding');
    const outputShape = attrInts(node, 'output_shape');
    return {
      run(inputs, ctx) {
        const x = input(node, inputs, 0, F);
        const w = input(node, inputs, 1, [x.dtype]);
        const b = optionalInput(node, inputs, 2, [x.dtype]);
        expectRank(node, x, 0, 3, 5);
        if (w.dims.length !== x.dims.length) fail(node, 'rank', { inputIndex: 1, expected: `rank ${x.dims.length} like X`, actual: `[${w.dims.join(', ')}]` });
        const rank = x.dims.length - 2;
        const [N, C] = x.dims;
        if (w.dims[0] !== C) fail(node, 'channels', { inputIndex: 1, expected: `W.dims[0] = ${C}`, actual: `${w.dims[0]}` });
        if (C % group !== 0) fail(node, 'channels', { inputIndex: 0, expected: `a multiple of group ${group}`, actual: `${C}` });
        const Mg = w.dims[1];
        const M = Mg * group;
        if (b) expectSize(node, b, 2, M, 'bias length');
        const kShape = w.dims.slice(2);
        if (a.kernelShape && a.kernelShape.join(',') !== kShape.join(',')) {
          fail(node, 'attribute "kernel_shape"', { expected: `[${kShape.join(', ')}]`, actual: `[${a.kernelShape.join(', ')}]` });
        }
        const strides = a.strides ?? new Array<number>(rank).fill(1);
        const dil = a.dilations ?? new Array<number>(rank).fill(1);
        const opad = outputPadding ?? new Array<number>(rank).fill(0);
        const pads = a.pads ?? new Array<number>(2 * rank).fill(0);
        const shapeAttr = outputShape ? outputShape.slice(outputShape.length - rank) : undefined;
        for (const [name, v, len] of [['strides', strides, rank], ['dilations', dil, rank], ['output_padding', opad, rank], ['pads', pads, 2 * rank]] as const) {
          if (v.length !== len) fail(node, `attribute "${name}"`, { expected: `${len} entries`, actual: `[${v.join(', ')}]` });
        }
        if (shapeAttr && shapeAttr.length !== rank) fail(node, 'attribute "output_shape"', { expected: `${rank} spatial entries`, actual: `[${outputShape!.join(', ')}]` });
        const pb: number[] = [];
        const out: number[] = [];
        for (let i = 0; i < rank; i++) {
          const inn = x.dims[2 + i];
          const full = strides[i] * (inn - 1) + opad[i] + (kShape[i] - 1) * dil[i] + 1;
          const same = a.autoPad === 'SAME_UPPER' || a.autoPad === 'SAME_LOWER';
          if (shapeAttr || same) {
            const o = shapeAttr ? shapeAttr[i] : inn * strides[i];
            const total = Math.max(0, full - o);
            const half = Math.floor(total / 2);
            pb.push(a.autoPad === 'SAME_UPPER' ? half : total - half);
            out.push(o);
          } else {
            const b0 = a.autoPad === 'VALID' ? 0 : pads[i];
            const e0 = a.autoPad === 'VALID' ? 0 : pads[i + rank];
            pb.push(b0);
            out.push(full - b0 - e0);
          }
          if (out[i] < 0) fail(node, `output size of spatial dim ${i}`, { expected: '>= 0', actual: String(out[i]) });
        }
        const y = ctx.alloc(x.dtype, [N, M, ...out]);
        const acc = y.data;
        acc.fill(0);
        const [D, H, W] = lift3(x.dims.slice(2), 1);
        const [KD, KH, KW] = lift3(kShape, 1);
        const [OD, OH, OW] = lift3(out, 1);
        const [sd, sh, sw] = lift3(strides, 1);
        const [dd, dh, dw] = lift3(dil, 1);
        const [pd, ph, pw] = lift3(pb, 0);
        const Cg = C / group;
        const inPlane = D * H * W;
        const outPlane = OD * OH * OW;
        const kSize = KD * KH * KW;
        for (let n = 0; n < N; n++) {
          for (let g = 0; g < group; g++) {
            for (let c = 0; c < Cg; c++) {
              const xBase = (n * C + g * Cg + c) * inPlane;
              for (let m = 0; m < Mg; m++) {
                const oBase = (n * M + g * Mg + m) * outPlane;
                const wBase = ((g * Cg + c) * Mg + m) * kSize;
                for (let kd = 0; kd < KD; kd++) {
                  for (let kh = 0; kh < KH; kh++) {
                    for (let kw = 0; kw < KW; kw++) {
                      const wv = w.data[wBase + (kd * KH + kh) * KW + kw];
                      for (let id = 0; id < D; id++) {
                        const od = id * sd - pd + kd * dd;
                        if (od < 0 || od >= OD) continue;
                        for (let ih = 0; ih < H; ih++) {
                          const oh = ih * sh - ph + kh * dh;
                          if (oh < 0 || oh >= OH) continue;
                          const xRow = xBase + (id * H + ih) * W;
                          const oRow = oBase + (od * OH + oh) * OW;
                          for (let iw = 0; iw < W; iw++) {
                            const ow = iw * sw - pw + kw * dw;
                            if (ow < 0 || ow >= OW) continue;
                            acc[oRow + ow] += x.data[xRow + iw] * wv;
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          }
        }
        if (b) {
          for (let n = 0; n < N; n++) {
            for (let m = 0; m < M; m++) {
              const base = (n * M + m) * outPlane;
              for (let i = 0; i < outPlane; i++) acc[base + i] += b.data[m];
            }
          }
        }
        return [y];
      },
    };
  },
});
