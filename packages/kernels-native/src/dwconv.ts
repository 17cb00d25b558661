/**
 * Native depthwise integer convolutions: `ConvInteger:{u8,i8}x{u8,i8}->i32` and `QLinearConv:{u8,i8}x{u8,i8}->{u8,i8}`
 * for 2-D nodes whose every group has one input channel (group = C > 1, W [M, 1, KH, KW], M a multiple of C), the
 * depthwise convolutions of MobileNet-style models that the im2col + GEMM variants decline. Direct loops in C++
 * (csrc/dwconv.cc; `native-dw-avx2` compiled for AVX2, its AVX-512 and AVX512-VNNI builds chosen from CPUID, the VNNI
 * one adding 4 taps per vpdpbusd: for stride_w 1-2 and dilation_w 1, 4 horizontal taps straight from the input rows
 * (any weights), else 4 vertical taps from staged planes when w - w_zero_point fits int8; `native-dw-scalar-c`
 * portable), one input channel per task.
 *
 * Numerics, bit-identical to the reference: int32 sums modulo 2^32 of (x - x_zero_point) * (w - w_zero_point[m]) over
 * the taps inside the input (padded taps contribute 0); QLinearConv adds the int32 bias (wrapping) and applies the
 * reference `requantize` with `requantMultiplier(x_scale, w_scale[m], y_scale)` (float32 product, ties to even,
 * saturating). Other shapes, non-constant weights and parameters of other sizes run the reference.
 *
 * `Conv:f32` of the same shape (at most 256 taps, float32 weights constant): each output is one fused multiply-add
 * chain over the taps in (kh, kw) order, padded taps adding w * 0, then + bias rounded once; the declared tolerance is
 * the float one (the reference rounds each product and sum separately).
 */
import { DTYPE_SHORT, sameDims, type Isa, type KernelNode, type KernelVariant, type Tensor } from '@lowbit/kernels';
import { lazyReference, type NativeContext, type NativeInstance } from './context.js';
import type { NativeDwConvBound, NativeDynamicConvBound } from './addon.js';
import { boundInputs, conv2dAttrs, geometryCache, multiplierCache, type Bound, type FloatAct, type ScaledConvInstance } from './conv.js';
import { FLOAT_TOLERANCE } from './matmul-float.js';

const Q8 = ['uint8', 'int8'] as const;
type Q8 = (typeof Q8)[number];
const isQ8 = (t: Tensor | null | undefined): t is Tensor<Q8> => !!t && (t.dtype === 'uint8' || t.dtype === 'int8');
const isF32 = (t: Tensor | null | undefined): t is Tensor<'float32'> => !!t && t.dtype === 'float32';

function groupOf(node: KernelNode): number {
  const v = node.attrs.get('group');
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : 1;
}

/** The node's window attributes (group set aside) when it is a depthwise-style 2-D convolution of constant weights. */
function depthwise(node: KernelNode, wi: number) {
  const w = node.constants?.get(wi);
  const group = groupOf(node);
  if (!isQ8(w) || w.dims.length !== 4 || group <= 1 || w.dims[1] !== 1 || w.dims[0] % group !== 0) return undefined;
  const attrs = conv2dAttrs({ ...node, attrs: new Map([...node.attrs].filter(([k]) => k !== 'group')) }, w.dims);
  return attrs ? { w, group, attrs } : undefined;
}

const MAX_F32_TAPS = 256;

/** The same for Conv:f32 (float32 weights, at most 256 taps). */
function depthwiseF32(node: KernelNode) {
  const w = node.constants?.get(1);
  const group = groupOf(node);
  if (!isF32(w) || w.dims.length !== 4 || group <= 1 || w.dims[1] !== 1 || w.dims[0] % group !== 0 || w.dims[2] * w.dims[3] > MAX_F32_TAPS) return undefined;
  const attrs = conv2dAttrs({ ...node, attrs: new Map([...node.attrs].filter(([k]) => k !== 'group')) }, w.dims);
  return attrs ? { w, group, attrs } : undefined;
}

export function dwConvVariants(ctx: NativeContext, hasAvx2: boolean): KernelVariant[] {
  const kernels: { name: 'avx2' | 'scalar-c'; isa: Isa }[] = [{ name: 'scalar-c', isa: 'scalar-c' }];
  if (hasAvx2) kernels.push({ name: 'avx2', isa: 'avx2' });
  const out: KernelVariant[] = [];
  for (const k of kernels) {
    out.push({ key: 'Conv:f32', name: `native-dw-${k.name}`, isa: k.isa, tolerance: FLOAT_TOLERANCE, supports: (n) => !!depthwiseF32(n), create: (n) => createDwF32(ctx, n, k.name) });
    for (const tx of Q8)
      for (const tw of Q8) {
        const ci = `ConvInteger:${DTYPE_SHORT[tx]}x${DTYPE_SHORT[tw]}->i32`;
        out.push({ key: ci, name: `native-dw-${k.name}`, isa: k.isa, tolerance: 'exact', supports: (n) => !!depthwise(n, 1), create: (n) => createDw(ctx, ci, n, k.name, false) });
        for (const ty of Q8) {
          const ql = `QLinearConv:${DTYPE_SHORT[tx]}x${DTYPE_SHORT[tw]}->${DTYPE_SHORT[ty]}`;
          out.push({ key: ql, name: `native-dw-${k.name}`, isa: k.isa, tolerance: 'exact', supports: (n) => !!depthwise(n, 3), create: (n) => createDw(ctx, ql, n, k.name, true) });
        }
      }
  }
  return out;
}

function createDwF32(ctx: NativeContext, node: KernelNode, kernel: 'avx2' | 'scalar-c'): NativeInstance {
  const ref = lazyReference(ctx, 'Conv:f32', node);
  const dw = depthwiseF32(node);
  const M = dw ? dw.w.dims[0] : 0;
  const geometry = dw ? geometryCache(dw.attrs, [M, dw.group, dw.w.dims[2], dw.w.dims[3]]) : undefined;
  return {
    get referenceRuns() {
      return ref.calls;
    },
    run(inputs, rctx) {
      const [x, w, b] = [inputs[0], inputs[1], inputs[2] ?? null];
      const ok = dw && isF32(x) && isF32(w) && (w === dw.w || sameDims(w.dims, dw.w.dims)) && x.dims.length === 4 && x.dims[1] === dw.group;
      const geo = ok ? geometry!(x.dims) : undefined;
      if (!dw || !geo || !isF32(x) || !isF32(w) || (b && (!isF32(b) || b.data.length !== M || b.dims.length !== 1))) return ref().run(inputs, rctx);
      const y = rctx.alloc('float32', [x.dims[0], M, geo[11], geo[12]]);
      ctx.addon.dwConvF(kernel, ctx.pool(), x.data, x.dims[0], geo, w.data, M, b ? (b as Tensor<'float32'>).data : null, y.data);
      return [y];
    },
  };
}

function createDw(ctx: NativeContext, key: string, node: KernelNode, kernel: 'avx2' | 'scalar-c', qlinear: boolean): ScaledConvInstance {
  const ref = lazyReference(ctx, key, node);
  const wi = qlinear ? 3 : 1;
  const dw = depthwise(node, wi);
  const M = dw ? dw.w.dims[0] : 0;
  const multipliers = multiplierCache(node, M);
  // the geometry for the last input dims (no Int32Array per call)
  const geometry = dw ? geometryCache(dw.attrs, [M, dw.group, dw.w.dims[2], dw.w.dims[3]]) : undefined;
  // QLinearConv with every input but x the node's constant: its operands bound in the addon for x's dims (`bound`).
  const bind = qlinear ? boundInputs(node) : undefined;
  let bound: (Bound & { readonly op: NativeDwConvBound }) | undefined;
  let boundRuns = 0;
  return {
    get referenceRuns() {
      return ref.calls;
    },
    get boundRuns() {
      return boundRuns;
    },
    run(inputs, rctx) {
      const x = inputs[0];
      if (bound && x && bind!(inputs) && x.dtype === bound.xType && sameDims(x.dims, bound.xDims)) {
        const y = rctx.alloc(bound.yType, bound.yDims);
        bound.op.run(ctx.pool(), x.data as Uint8Array | Int8Array, x.dims[0], y.data as Uint8Array | Int8Array);
        boundRuns++;
        return [y];
      }
      const w = inputs[wi];
      const ok = dw && isQ8(x) && isQ8(w) && w.dtype === dw.w.dtype && (w === dw.w || sameDims(w.dims, dw.w.dims)) && x.dims.length === 4 && x.dims[1] === dw.group;
      const geo = ok ? geometry!(x.dims) : undefined;
      if (!dw || !geo || !isQ8(x) || !isQ8(w)) return ref().run(inputs, rctx);
      const one = (t: Tensor | null | undefined) => !!t && t.data.length === 1;
      const perM = (t: Tensor | null | undefined) => !!t && (t.data.length === 1 || (t.data.length === M && t.dims.length <= 1));
      const xzp = inputs[2] ?? null;
      const wzp = inputs[qlinear ? 5 : 3] ?? null;
      if ((xzp && (xzp.dtype !== x.dtype || !one(xzp))) || (wzp && (wzp.dtype !== w.dtype || !perM(wzp)))) return ref().run(inputs, rctx);
      const xz = xzp ? Number((xzp.data as Uint8Array | Int8Array)[0]) : 0;
      const zw = wzp ? (wzp.data as Uint8Array | Int8Array) : null;
      const dims = [x.dims[0], M, geo[11], geo[12]];
      if (!qlinear) {
        const y = rctx.alloc('int32', dims);
        ctx.addon.dwConv(kernel, ctx.pool(), x.data, x.dims[0], geo, w.data, M, xz, zw, null, 0, y.data, null);
        return [y];
      }
      const [sx, sw, sy, zy, bias] = [inputs[1], inputs[4], inputs[6], inputs[7], inputs[8] ?? null];
      const okScales = isF32(sx) && isF32(sw) && isF32(sy) && one(sx) && one(sy) && perM(sw);
      if (!okScales || !isQ8(zy) || !one(zy) || (bias && (bias.dtype !== 'int32' || bias.data.length !== M))) return ref().run(inputs, rctx);
      const m = multipliers(sx, sw, sy);
      const y = rctx.alloc(zy.dtype, dims);
      ctx.addon.dwConv(kernel, ctx.pool(), x.data, x.dims[0], geo, w.data, M, xz, zw, m, zy.data[0], y.data as Uint8Array | Int8Array, bias ? (bias.data as Int32Array) : null);
      if (bind?.(inputs)) {
        const op = new ctx.addon.DwConvBound(kernel, geo, w.data, M, xz, zw, m, zy.data[0], bias ? (bias.data as Int32Array) : null);
        bound = { op, xType: x.dtype, xDims: x.dims.slice(), yType: zy.dtype, yDims: dims };
      }
      return [y];
    },
    // ConvInteger only (lowbit.DynamicQConv's integer part): its per-session operands bound once for one-call runs
    bindDynamic(xDims: readonly number[], wzp: Tensor | null, ws: number, bias: Float32Array | null, act: FloatAct): NativeDynamicConvBound | undefined {
      if (qlinear || !dw || xDims.length !== 4 || xDims[1] !== dw.group || (wzp && wzp.dtype !== dw.w.dtype)) return undefined;
      const geo = geometry!(xDims);
      if (!geo) return undefined;
      return new ctx.addon.DwConvScaledBound(kernel, geo, dw.w.data, M, wzp ? (wzp.data as Uint8Array | Int8Array) : null, ws, bias, act.kind, act.lo, act.hi, act.p, act.q);
    },
    // ConvInteger only (lowbit.DynamicQConv's integer part): the sums scaled to float32, + bias, the activation, in the
    // convolution's own pass (y = fround(acc) * scale, the reference's steps); undefined when these inputs do not suit
    // (the caller runs `run` and its own epilogue).
    runScaled(x: Tensor, wzp: Tensor | null, xz: number, scale: number, bias: Float32Array | null, rctx: Parameters<NativeInstance['run']>[1], act?: FloatAct, range?: Float32Array): Tensor<'float32'> | undefined {
      if (qlinear || !dw || !isQ8(x) || x.dims.length !== 4 || x.dims[1] !== dw.group) return undefined;
      const geo = geometry!(x.dims);
      if (!geo || (wzp && (wzp.dtype !== dw.w.dtype || !(wzp.data.length === 1 || (wzp.data.length === M && wzp.dims.length <= 1))))) return undefined;
      if (bias && bias.length !== M) return undefined;
      const y = rctx.alloc('float32', [x.dims[0], M, geo[11], geo[12]]);
      ctx.addon.dwConvScaled(kernel, ctx.pool(), x.data, x.dims[0], geo, dw.w.data, M, xz, wzp ? (wzp.data as Uint8Array | Int8Array) : null, scale, bias, y.data,
        act?.kind ?? 0, act?.lo ?? 0, act?.hi ?? 0, act?.p ?? 0, act?.q ?? 0, range ?? null);
      return y;
    },
  };
}
