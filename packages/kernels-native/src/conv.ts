/**
 * Native 2-D convolutions on the packed GEMM kernels (group 1, 4-D NCHW input, constant weights packed at create): direct
 * NCHW convolution on x86 (csrc/conv_driver.h: weight strips x activation panels, output written in place, epilogue
 * bias / requantize), im2col + GEMM elsewhere:
 * `Conv:f32`, `ConvInteger:{u8,i8}x{u8,i8}->i32` and `QLinearConv:{u8,i8}x{u8,i8}->{u8,i8}`, one variant per GEMM
 * kernel this CPU runs.
 *
 * - ConvInteger / QLinearConv: exact int32 sums (padding holds x_zero_point, so padded taps contribute 0), then for
 *   QLinearConv `(acc + B[m]) | 0` and the reference `requantize` with `fround(fround(x_scale * w_scale[m]) / y_scale)`:
 *   bit-identical to the reference.
 * - Conv:f32: each output is a chain of fused multiply-adds over (c, kh, kw) in order, the reference's own order and
 *   rounding, then `+ bias` rounded once (on the im2col path a single output pixel per image takes the GEMV, 4
 *   interleaved partial sums), so the declared tolerance is the float one.
 * Geometry: kernel_shape, strides, dilations, pads, auto_pad (NOTSET, VALID, SAME_UPPER, SAME_LOWER) as the reference's
 * window rules. Other nodes (group > 1, 1-D/3-D, float16/float64) are declined; bad inputs run the reference.
 */
import { DTYPE_SHORT, requantMultiplier, sameDims, type Isa, type KernelInstance, type KernelNode, type KernelVariant, type Tensor } from '@lowbit/kernels';
import type { NativeDynamicConvBound, NativeFGemm, NativeKernelInfo, NativeQGemm } from './addon.js';
import { lazyReference, type NativeContext, type NativeInstance } from './context.js';
import { FLOAT_TOLERANCE } from './matmul-float.js';

const Q8 = ['uint8', 'int8'] as const;
type Q8 = (typeof Q8)[number];
const isQ8 = (t: Tensor | null | undefined): t is Tensor<Q8> => !!t && (t.dtype === 'uint8' || t.dtype === 'int8');
const isF32 = (t: Tensor | null | undefined): t is Tensor<'float32'> => !!t && t.dtype === 'float32';

function ints(node: KernelNode, name: string): number[] | undefined {
  const v = node.attrs.get(name);
  return Array.isArray(v) ? (v as readonly (number | bigint)[]).map(Number) : undefined;
}
function intAttr(node: KernelNode, name: string, dflt: number): number {
  const v = node.attrs.get(name);
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : dflt;
}

/** Conv attributes the native path takes (2-D, group 1), or undefined. */
export function conv2dAttrs(node: KernelNode, wDims: readonly number[]): { k: [number, number]; s: [number, number]; d: [number, number]; pads?: [number, number, number, number]; auto: string } | undefined {
  if (wDims.length !== 4 || intAttr(node, 'group', 1) !== 1) return undefined;
  const k = ints(node, 'kernel_shape') ?? [wDims[2], wDims[3]];
  const s = ints(node, 'strides') ?? [1, 1];
  const d = ints(node, 'dilations') ?? [1, 1];
  const p = ints(node, 'pads');
  const autoV = node.attrs.get('auto_pad');
  const auto = typeof autoV === 'string' ? autoV : 'NOTSET';
  if (k.length !== 2 || k[0] !== wDims[2] || k[1] !== wDims[3] || s.length !== 2 || d.length !== 2 || (p && p.length !== 4)) return undefined;
  if (![...s, ...d].every((x) => Number.isInteger(x) && x > 0) || (p && !p.every((x) => Number.isInteger(x) && x >= 0))) return undefined;
  if (!['NOTSET', 'VALID', 'SAME_UPPER', 'SAME_LOWER'].includes(auto)) return undefined;
  return { k: [k[0], k[1]], s: [s[0], s[1]], d: [d[0], d[1]], ...(p ? { pads: [p[0], p[1], p[2], p[3]] as [number, number, number, number] } : {}), auto };
}

/** [C, H, W, KH, KW, padTop, padLeft, strideH, strideW, dilH, dilW, OH, OW] for an NCHW input, or undefined. */
export function convGeometry2d(a: NonNullable<ReturnType<typeof conv2dAttrs>>, xDims: readonly number[], wDims: readonly number[]): Int32Array | undefined {
  if (xDims.length !== 4 || xDims[1] !== wDims[1]) return undefined;
  const [, C, H, W] = xDims;
  const out: number[] = [];
  const begin: number[] = [];
  for (const [ax, size] of [[0, H], [1, W]] as const) {
    const ext = (a.k[ax] - 1) * a.d[ax] + 1;
    let pb = a.pads ? a.pads[ax] : 0;
    let pe = a.pads ? a.pads[ax + 2] : 0;
    if (a.auto === 'VALID') pb = pe = 0;
    if (a.auto === 'SAME_UPPER' || a.auto === 'SAME_LOWER') {
      const o = Math.ceil(size / a.s[ax]);
      const total = Math.max(0, (o - 1) * a.s[ax] + ext - size);
      const small = Math.floor(total / 2);
      pb = a.auto === 'SAME_UPPER' ? small : total - small;
      pe = total - pb;
    }
    const o = Math.floor((size + pb + pe - ext) / a.s[ax]) + 1;
    if (!(o > 0)) return undefined;
    out.push(o);
    begin.push(pb);
  }
  // Its own ArrayBuffer (an on-heap 13-element typed array would be moved off the heap by the addon on every call).
  const g = new Int32Array(new ArrayBuffer(13 * 4));
  g.set([C, H, W, a.k[0], a.k[1], begin[0], begin[1], a.s[0], a.s[1], a.d[0], a.d[1], out[0], out[1]]);
  return g;
}

/**
 * `convGeometry2d` remembered for the last input dims (a session runs one shape again and again: no Int32Array and
 * ArrayBuffer per call). The weights' dims are the instance's own.
 */
export function geometryCache(a: NonNullable<ReturnType<typeof conv2dAttrs>>, wDims: readonly number[]): (xDims: readonly number[]) => Int32Array | undefined {
  let last: readonly number[] | undefined;
  let geo: Int32Array | undefined;
  return (xDims) => {
    if (last && sameDims(last, xDims)) return geo;
    geo = convGeometry2d(a, xDims, wDims);
    last = xDims.slice();
    return geo;
  };
}

/** What a QLinearConv instance bound its operands for: x's type and dims, y's type and dims. */
export interface Bound {
  readonly xType: Q8;
  readonly xDims: readonly number[];
  readonly yType: Q8;
  readonly yDims: readonly number[];
}

/**
 * For a QLinearConv node: a test that inputs 1..8 are exactly the node's constants (absent where the node has none
 * and the input is absent), so that operands computed from them once stay valid; undefined when input 1..7 is not
 * constant (x_zero_point, w_zero_point and the bias may be absent).
 */
export function boundInputs(node: KernelNode): ((inputs: readonly (Tensor | null | undefined)[]) => boolean) | undefined {
  const c = [1, 2, 3, 4, 5, 6, 7, 8].map((i) => node.constants?.get(i));
  if (!c[0] || !c[2] || !c[3] || !c[5] || !c[6]) return undefined;
  const [c1, c2, c3, c4, c5, c6, c7, c8] = c;
  return (inp) =>
    inp[1] === c1 && inp[3] === c3 && inp[4] === c4 && inp[6] === c6 && inp[7] === c7 && (inp[2] ?? undefined) === c2 && (inp[5] ?? undefined) === c5 && (inp[8] ?? undefined) === c8;
}

/**
 * QLinearConv's requantize multipliers fround(fround(x_scale * w_scale[m]) / y_scale) (`requantMultiplier`), 1 or M of
 * them in a buffer of the instance's; computed once and kept while the scales are the node's constant tensors (inputs
 * 1, 4, 6: the usual QDQ model), recomputed per call otherwise.
 */
export function multiplierCache(node: KernelNode, M: number): (sx: Tensor<'float32'>, sw: Tensor<'float32'>, sy: Tensor<'float32'>) => Float32Array {
  const mult = new Float32Array(Math.max(1, M));
  const mult1 = mult.subarray(0, 1);
  const [c1, c4, c6] = [node.constants?.get(1), node.constants?.get(4), node.constants?.get(6)];
  let fixed: Float32Array | undefined;
  return (sx, sw, sy) => {
    const constant = sx === c1 && sw === c4 && sy === c6;
    if (constant && fixed) return fixed;
    const swd = sw.data;
    const m = swd.length === 1 ? mult1 : mult;
    for (let j = 0; j < swd.length; j++) m[j] = requantMultiplier(sx.data[0], swd[j], sy.data[0]);
    if (constant) fixed = m.slice();
    return m;
  };
}

/** Weights [M, C, KH, KW] as B = W^T [C*KH*KW, M] (the packed GEMM's layout for integer kernels). */
function transposeW<T extends Uint8Array | Int8Array>(w: T, M: number, K: number): T {
  const t = new (w.constructor as new (n: number) => T)(w.length);
  for (let m = 0; m < M; m++) for (let k = 0; k < K; k++) t[k * M + m] = w[m * K + k];
  return t;
}

export function convVariants(ctx: NativeContext, q: readonly NativeKernelInfo[], f: readonly NativeKernelInfo[]): KernelVariant[] {
  const out: KernelVariant[] = [];
  const wConst = (node: KernelNode, i: number) => {
    const w = node.constants?.get(i);
    return w && w.dims.length === 4 && conv2dAttrs(node, w.dims) ? w : undefined;
  };
  for (const k of f) {
    out.push({ key: 'Conv:f32', name: `native-${k.name}`, isa: k.isa as Isa, tolerance: FLOAT_TOLERANCE, tile: 32, supports: (n) => isF32(wConst(n, 1)), create: (n) => createFConv(ctx, n, k) });
  }
  for (const k of q) {
    if (k.needs7bit) continue; // conv weights go through the exact kernels
    for (const tx of Q8)
      for (const tw of Q8) {
        const ci = `ConvInteger:${DTYPE_SHORT[tx]}x${DTYPE_SHORT[tw]}->i32`;
        out.push({ key: ci, name: `native-${k.name}`, isa: k.isa as Isa, tolerance: 'exact', tile: 32, supports: (n) => isQ8(wConst(n, 1)), create: (n) => createQConv(ctx, ci, n, k, false) });
        for (const ty of Q8) {
          const ql = `QLinearConv:${DTYPE_SHORT[tx]}x${DTYPE_SHORT[tw]}->${DTYPE_SHORT[ty]}`;
          out.push({ key: ql, name: `native-${k.name}`, isa: k.isa as Isa, tolerance: 'exact', tile: 32, supports: (n) => isQ8(wConst(n, 3)), create: (n) => createQConv(ctx, ql, n, k, true) });
        }
      }
  }
  return out;
}

function createFConv(ctx: NativeContext, node: KernelNode, k: NativeKernelInfo): NativeInstance {
  const ref = lazyReference(ctx, 'Conv:f32', node);
  const w0 = node.constants?.get(1);
  const attrs = w0 ? conv2dAttrs(node, w0.dims) : undefined;
  let g: NativeFGemm | undefined;
  if (isF32(w0) && attrs) g = new ctx.addon.FGemm(k.name, w0.data, w0.dims[1] * w0.dims[2] * w0.dims[3], w0.dims[0], true, ctx.threads);
  return {
    get referenceRuns() {
      return ref.calls;
    },
    run(inputs, rctx) {
      const [x, w, b] = [inputs[0], inputs[1], inputs[2] ?? null];
      const geo = g && attrs && isF32(x) && isF32(w) && w.dims.join() === w0!.dims.join() ? convGeometry2d(attrs, x.dims, w.dims) : undefined;
      const M = w0 ? w0.dims[0] : 0;
      if (!g || !geo || !isF32(x) || (b && (!isF32(b) || b.data.length !== M || b.dims.length !== 1))) return ref().run(inputs, rctx);
      const y = rctx.alloc('float32', [x.dims[0], M, geo[11], geo[12]]);
      g.runConv(ctx.pool(), x.data, x.dims[0], geo, b ? (b as Tensor<'float32'>).data : null, y.data);
      return [y];
    },
    dispose() {
      g?.dispose();
      g = undefined;
    },
  };
}

/** A native ConvInteger instance that can also write its sums scaled to float32 (see `runScaled` in createQConv). */
export interface ScaledConvInstance extends NativeInstance {
  /** QLinearConv: runs that took the bound path (operands bound once in the addon, see `boundInputs`). */
  readonly boundRuns?: number;
  runScaled?(x: Tensor, wzp: Tensor | null, xz: number, scale: number, bias: Float32Array | null, rctx: Parameters<NativeInstance['run']>[1], act?: FloatAct, range?: Float32Array): Tensor<'float32'> | undefined;
  /** runScaled's result quantized (DynamicQuantizeLinear) in two passes over the sums, never stored as floats (see
   *  NativeQGemm.runConvScaledQuantize): the bytes, with scale / zero point in yScale / yZeroPoint; null for a non-finite
   *  value; undefined when not available for these inputs or the result would hold fewer than `minOutput` values. */
  runScaledQuantize?(x: Tensor, wzp: Tensor | null, xz: number, scale: number, bias: Float32Array | null, rctx: Parameters<NativeInstance['run']>[1], act: FloatAct, yScale: Float32Array, yZeroPoint: Uint8Array, minOutput?: number): Tensor<'uint8'> | null | undefined;
  /**
   * ConvInteger with a 1x1 kernel whose input is 1x1 (the squeeze-excite convolutions after a GlobalAveragePool):
   * lowbit.DynamicQConv in one GEMM call (`runDynamic`: x quantized, the sums scaled by fround(x_s * w_s), + bias, the
   * activation); undefined when the node or inputs do not suit, null for a non-finite x (nothing written).
   */
  runDynamicPoint?(x: Tensor, wzp: Tensor | null, ws: Float32Array, bias: Float32Array | null, rctx: Parameters<NativeInstance['run']>[1], act: FloatAct): Tensor<'float32'> | null | undefined;
  /**
   * ConvInteger as lowbit.DynamicQConv's integer part: the node's per-session operands (x's dims, w_zero_point,
   * w_scale, bias, activation) bound in the addon for one-call runs (`runDynamicConv`: quantize, convolve, epilogue);
   * undefined when this kernel or these operands cannot.
   */
  bindDynamic?(xDims: readonly number[], wzp: Tensor | null, ws: number, bias: Float32Array | null, act: FloatAct): NativeDynamicConvBound | undefined;
}

/**
 * lowbit.DynamicQConv's fused activation: kind 0 none, 1 Relu, 2 Clip(lo, hi) with lo <= hi, 3 the HardSwish
 * decomposition (Clip(y + p, lo, hi), times y, divided by q), 4 HardSigmoid(alpha p, beta q).
 */
export interface FloatAct {
  readonly kind: 0 | 1 | 2 | 3 | 4;
  readonly lo: number;
  readonly hi: number;
  readonly p: number;
  readonly q: number;
}

function createQConv(ctx: NativeContext, key: string, node: KernelNode, k: NativeKernelInfo, qlinear: boolean): ScaledConvInstance {
  const ref = lazyReference(ctx, key, node);
  const wi = qlinear ? 3 : 1;
  const w0 = node.constants?.get(wi);
  const attrs = w0 ? conv2dAttrs(node, w0.dims) : undefined;
  const M = w0 ? w0.dims[0] : 0;
  const K = w0 ? w0.dims[1] * w0.dims[2] * w0.dims[3] : 0;
  let g: NativeQGemm | undefined;
  if (isQ8(w0) && attrs) g = new ctx.addon.QGemm(k.name, transposeW(w0.data, M, K), K, M, ctx.threads);
  const multipliers = multiplierCache(node, M);
  const geometry = attrs && w0 ? geometryCache(attrs, w0.dims) : undefined;
  let scaledOk = true; // false once the kernel reports it has no direct convolution
  let quantizeOk = true; // false once the kernel reports it has no two-pass quantizing convolution
  // QLinearConv with every input but x the node's constant: its operands bound in the addon for x's dims (`bound`).
  const bind = qlinear ? boundInputs(node) : undefined;
  let bound: Bound | undefined;
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
      if (bound && g && x && bind!(inputs) && x.dtype === bound.xType && sameDims(x.dims, bound.xDims)) {
        const y = rctx.alloc(bound.yType, bound.yDims);
        g.runConvBound(ctx.pool(), x.data as Uint8Array | Int8Array, x.dims[0], y.data as Uint8Array | Int8Array);
        boundRuns++;
        return [y];
      }
      const w = inputs[wi];
      const geo = g && geometry && isQ8(x) && isQ8(w) && w.dtype === w0!.dtype && (w === w0 || sameDims(w.dims, w0!.dims)) ? geometry(x.dims) : undefined;
      if (!g || !geo || !isQ8(x)) return ref().run(inputs, rctx);
      const one = (t: Tensor | null | undefined) => !!t && t.data.length === 1;
      const perM = (t: Tensor | null | undefined) => !!t && (t.data.length === 1 || (t.data.length === M && t.dims.length <= 1));
      const xzp = inputs[qlinear ? 2 : 2] ?? null;
      const wzp = inputs[qlinear ? 5 : 3] ?? null;
      if ((xzp && (xzp.dtype !== x.dtype || !one(xzp))) || (wzp && (wzp.dtype !== w!.dtype || !perM(wzp)))) return ref().run(inputs, rctx);
      const xz = xzp ? Number((xzp.data as Uint8Array | Int8Array)[0]) : 0;
      const zw = wzp ? (wzp.data as Uint8Array | Int8Array) : null;
      const dims = [x.dims[0], M, geo[11], geo[12]];
      if (!qlinear) {
        const y = rctx.alloc('int32', dims);
        g.runConv(ctx.pool(), x.data, x.dims[0], geo, xz, zw, y.data);
        return [y];
      }
      const [sx, sw, sy, zy, bias] = [inputs[1], inputs[4], inputs[6], inputs[7], inputs[8] ?? null];
      const okScales = isF32(sx) && isF32(sw) && isF32(sy) && one(sx) && one(sy) && perM(sw);
      if (!okScales || !isQ8(zy) || !one(zy) || (bias && (bias.dtype !== 'int32' || bias.data.length !== M))) return ref().run(inputs, rctx);
      const m = multipliers(sx as Tensor<'float32'>, sw as Tensor<'float32'>, sy as Tensor<'float32'>);
      const y = rctx.alloc(zy.dtype, dims);
      g.runConvRequant(ctx.pool(), x.data, x.dims[0], geo, xz, zw, m, zy.data[0], y.data as Uint8Array | Int8Array, bias ? (bias.data as Int32Array) : null);
      if (bind?.(inputs)) {
        g.bindConvRequant(geo, xz, zw, m, zy.data[0], bias ? (bias.data as Int32Array) : null);
        bound = { xType: x.dtype, xDims: x.dims.slice(), yType: zy.dtype, yDims: dims };
      }
      return [y];
    },
    // ConvInteger only: the sums scaled to float32 in the kernel's epilogue (lowbit.DynamicQConv's y = fround(acc) *
    // scale [+ bias]); undefined when this kernel or these inputs cannot (the caller runs `run` and its own epilogue).
    runScaled(x: Tensor, wzp: Tensor | null, xz: number, scale: number, bias: Float32Array | null, rctx: Parameters<NativeInstance['run']>[1], act?: FloatAct, range?: Float32Array): Tensor<'float32'> | undefined {
      if (qlinear || !g || !geometry || !scaledOk || !isQ8(x) || !isQ8(w0)) return undefined;
      const geo = geometry(x.dims);
      if (!geo || (wzp && (wzp.dtype !== w0.dtype || !(wzp.data.length === 1 || (wzp.data.length === M && wzp.dims.length <= 1))))) return undefined;
      if (bias && bias.length !== M) return undefined;
      const y = rctx.alloc('float32', [x.dims[0], M, geo[11], geo[12]]);
      scaledOk = g.runConvScaled(ctx.pool(), x.data, x.dims[0], geo, xz, wzp ? (wzp.data as Uint8Array | Int8Array) : null, scale, bias, y.data, act?.kind ?? 0, act?.lo ?? 0, act?.hi ?? 0, act?.p ?? 0, act?.q ?? 0, range ?? null);
      return scaledOk ? y : undefined;
    },
    runScaledQuantize(x: Tensor, wzp: Tensor | null, xz: number, scale: number, bias: Float32Array | null, rctx: Parameters<NativeInstance['run']>[1], act: FloatAct, yScale: Float32Array, yZeroPoint: Uint8Array, minOutput = 0): Tensor<'uint8'> | null | undefined {
      if (qlinear || !g || !geometry || !scaledOk || !quantizeOk || !isQ8(x) || !isQ8(w0)) return undefined;
      const geo = geometry(x.dims);
      if (!geo || x.dims[0] * M * geo[11] * geo[12] < minOutput) return undefined;
      if (wzp && (wzp.dtype !== w0.dtype || !(wzp.data.length === 1 || (wzp.data.length === M && wzp.dims.length <= 1)))) return undefined;
      if (bias && bias.length !== M) return undefined;
      const y = rctx.alloc('uint8', [x.dims[0], M, geo[11], geo[12]]);
      const r = g.runConvScaledQuantize(ctx.pool(), x.data, x.dims[0], geo, xz, wzp ? (wzp.data as Uint8Array | Int8Array) : null, scale, bias, y.data, yScale, yZeroPoint, act.kind, act.lo, act.hi, act.p, act.q);
      if (r === 0) quantizeOk = false;
      return r === 1 ? y : r === -1 ? null : undefined;
    },
    bindDynamic(xDims: readonly number[], wzp: Tensor | null, ws: number, bias: Float32Array | null, act: FloatAct): NativeDynamicConvBound | undefined {
      if (qlinear || !g || !geometry || !scaledOk || !isQ8(w0) || (wzp && wzp.dtype !== w0.dtype)) return undefined;
      const geo = geometry(xDims);
      if (!geo) return undefined;
      g.bindDynamicConv(geo, wzp ? (wzp.data as Uint8Array | Int8Array) : null, ws, bias, act.kind, act.lo, act.hi, act.p, act.q);
      return g;
    },
    runDynamicPoint(x: Tensor, wzp: Tensor | null, ws: Float32Array, bias: Float32Array | null, rctx: Parameters<NativeInstance['run']>[1], act: FloatAct): Tensor<'float32'> | null | undefined {
      if (qlinear || !g || !geometry || !isF32(x) || !isQ8(w0) || x.dims.length !== 4 || x.dims[2] !== 1 || x.dims[3] !== 1 || x.data.length === 0) return undefined;
      const geo = geometry(x.dims);
      // 1x1 kernel, no leading padding, one output pixel: y[n, m] = the GEMM row n of x [N, C] with B = W^T [C, M]
      if (!geo || geo[3] !== 1 || geo[4] !== 1 || geo[5] !== 0 || geo[6] !== 0 || geo[11] !== 1 || geo[12] !== 1) return undefined;
      if ((wzp && (wzp.dtype !== w0.dtype || !(wzp.data.length === 1 || (wzp.data.length === M && wzp.dims.length <= 1)))) || ws.length !== 1 || (bias && bias.length !== M)) return undefined;
      const y = rctx.alloc('float32', [x.dims[0], M, 1, 1]);
      return g.runDynamic(ctx.pool(), x.data, x.dims[0], wzp ? (wzp.data as Uint8Array | Int8Array) : null, ws, bias, y.data, act.kind, act.lo, act.hi, act.p, act.q) ? y : null;
    },
    dispose() {
      g?.dispose();
      g = undefined;
    },
  };
}
