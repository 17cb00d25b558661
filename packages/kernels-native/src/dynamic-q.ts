/**
 * Native variants of the runtime's fused dynamic-int8 ops, `lowbit.DynamicQMatMul:f32` and `lowbit.DynamicQConv:f32`,
 * one per int8 GEMM kernel this CPU runs. Bit-identical to their reference kernels (packages/kernels/src/quant/
 * dynamic-qmatmul.ts, dynamic-qconv.ts), which are bit-identical to the unfused chain:
 *
 *   (x_q, x_s, x_zp) = DynamicQuantizeLinear(x)             (the native kernel, bit-exact with `@lowbit/qparams`)
 *   acc = MatMulInteger(x_q, w, x_zp, w_zp) | ConvInteger(...) (the native exact int32 GEMM of this variant's kernel)
 *   y   = fround(fround(acc) * fround(x_s * w_s[j]))        (per output column j / per tensor for Conv)
 *   y   = fround(y + bias[j])                                 (when a bias is given; both steps in C++ float32,
 *                                                             `scaleAccumulators`, which rounds exactly so)
 *
 * The integer part runs the backend's own `MatMulInteger:u8x{w}->i32` / `ConvInteger:u8x{w}->i32` variant of the same
 * kernel (weights packed once at create); the float epilogue repeats the reference's float32 steps in the same order
 * (for a group-1 convolution on a kernel with a direct convolution, inside the convolution's own epilogue).
 * A DynamicQConv (either form, and DynamicQConvQuantize) whose weights, scale, zero point and bias are the node's
 * constants binds them in the addon after its first run on the convolution's scaled path (`QGemm.bindDynamicConv`,
 * `DwConvScaledBound`): later runs with x of the same dims are one addon call (quantize x into the object's buffer or
 * take x_q with its scale and zero point, convolve, epilogue; DynamicQConvQuantize also quantizes its result from the
 * range the epilogue gathered), the same steps.
 * A DynamicQMatMul's residual (input 5, the Add the runtime folds in) of the result's own dims is added by the same
 * call, over each finished block of the GEMM (`runDynamic`'s residual); one of other dims, through `addResidual`.
 * A 1x1 convolution of a 1x1 input (squeeze-excite after a GlobalAveragePool) is one GEMM row: one `runDynamic` call
 * quantizes x, multiplies and applies the epilogue and activation (the MatMul form's steps, the same float32 values).
 * A fused activation (DynamicQConv's `activation`: Relu, Clip with activation_min <= activation_max, the HardSwish
 * decomposition, HardSigmoid) is applied to each float32 result in C++ with the reference's operations (Relu:
 * y > 0 ? y : (NaN ? y : 0); Clip: lo, then hi; HardSwish's Add, Clip, Mul, Div in float32; HardSigmoid in double,
 * rounded once).
 * `lowbit.DynamicQConvQuantize:f32` / `:u8` (DynamicQuantizeLinear of DynamicQConv's result, the runtime's fusion of a
 * convolution whose float output only quantizing readers use) run the same steps into one float scratch that every
 * such node shares (it stays in the caches from layer to layer), then the native DynamicQuantizeLinear on it: the
 * same bytes, scale and zero point as the two nodes. Where the convolution's epilogue is in its tiles (AVX512-VNNI:
 * the GEMM kernel's direct convolutions and the depthwise row path) it also gathers the result's range (min / max
 * from 0, NaN noted) as it stores it, and only the quantizing pass runs after it (`quantizeLinearRanged`).
 * Anything those variants decline (non-constant or non-2-D weights, grouped convolutions, parameters of other shapes,
 * non-finite x or results, other activation attributes) goes to the reference kernel, which also reports errors.
 */
import { addResidual, DTYPE_SHORT, sameDims, Tensor, type DType, type Isa, type KernelInstance, type KernelNode, type KernelVariant, type RunContext } from '@lowbit/kernels';
import type { NativeDynamicConvBound, NativeKernelInfo, NativeQGemm } from './addon.js';
import { lazyReference, overlaps, type NativeContext, type NativeInstance } from './context.js';
import { type FloatAct, type ScaledConvInstance } from './conv.js';
import { createDynamicB, createDynamicSplit, DYNAMIC_QMATMUL_KEY, DYNAMIC_QMATMUL_SPLIT_KEY, innerNode, isF32, isQ8, perOr, type Q8 } from './dynamic-q-matmul.js';

export { DYNAMIC_QMATMUL_KEY, DYNAMIC_QMATMUL_SPLIT_KEY };

export const DYNAMIC_QCONV_KEY = 'lowbit.DynamicQConv:f32';
/** DynamicQConv's quantized-input form: x_q (uint8), with x_scale and x_zero_point as inputs 5 and 6. */
export const DYNAMIC_QCONV_U8_KEY = 'lowbit.DynamicQConv:u8';
/** lowbit.DynamicQConvQuantize (DynamicQuantizeLinear of DynamicQConv's result), the float and quantized-input forms. */
export const DYNAMIC_QCONV_QUANTIZE_KEY = 'lowbit.DynamicQConvQuantize:f32';
export const DYNAMIC_QCONV_QUANTIZE_U8_KEY = 'lowbit.DynamicQConvQuantize:u8';

/**
 * Where DynamicQConvQuantize runs as two passes over the sums on a one-thread backend (`NativeQGemm.runConvScaledQuantize`:
 * the float result never reaches memory): a reduction (C / group * KH * KW) of at most TWO_PASS_MAX_K and a result of at
 * least TWO_PASS_MIN_OUTPUT values (1 MiB of floats: more than a core's L2 here). Measured on an AMD EPYC (AVX512-VNNI):
 * in isolation two passes cost 1.25x (K 16) to 1.7x (K 128) one pass plus the quantizing pass, but in a whole run
 * ultraface-rfb-320's 16 -> 32 pointwise layer on 120x160 (2.4 MB of floats) made the model 3-6% faster at 1 thread
 * and its first layer (3 -> 16, 3x3 stride 2, 1.2 MB) 2-4% more; the 60x80 layers (K 32, 0.6 MB) and 2 threads gained
 * nothing.
 */
const TWO_PASS_MAX_K = 32;
const TWO_PASS_MIN_OUTPUT = 1 << 18;

/**
 * DynamicQConvQuantize's float result: one buffer per backend context, shared by its instances (kernels run one at a
 * time and none keeps it past its `run`), so each layer writes into memory the previous one left in the caches; it
 * goes with the backend. (Scratch from the RunContext stays held until the end of the whole run: a cold buffer per
 * layer, measured slower.)
 */
const sharedFloatContexts = new WeakMap<NativeContext, RunContext>();
function sharedFloatContext(ctx: NativeContext): RunContext {
  let c = sharedFloatContexts.get(ctx);
  if (!c) {
    let buf = new Float32Array(0);
    let view = buf;
    c = {
      alloc<D extends DType>(dtype: D, dims: readonly number[]): Tensor<D> {
        let n = 1;
        for (let i = 0; i < dims.length; i++) n *= dims[i];
        if (dtype !== 'float32') throw new Error(`sharedFloatContext: float32 only, got ${dtype}`);
        if (buf.length < n) buf = new Float32Array(n);
        if (view.length !== n || view.buffer !== buf.buffer) view = buf.subarray(0, n);
        return new Tensor(dtype, view as never, dims);
      },
    };
    sharedFloatContexts.set(ctx, c);
  }
  return c;
}

/**
 * A RunContext for the inner integer kernel's int32 sums: the i-th allocation of a run reuses the i-th buffer of the
 * previous run, zero-filled, when dtype and size match (the sums never leave the outer `run`).
 */
class Scratch implements RunContext {
  #bufs: Tensor[] = [];
  #next = 0;
  begin(): this {
    this.#next = 0;
    return this;
  }
  alloc<D extends DType>(dtype: D, dims: readonly number[]): Tensor<D> {
    const n = dims.reduce((a, b) => a * b, 1);
    const i = this.#next++;
    const old = this.#bufs[i];
    if (old && old.dtype === dtype && old.data.length === n) {
      (old.data as Int32Array).fill(0); // a reference fallback of the inner kernel may accumulate into it
      return new Tensor(dtype, old.data as never, dims);
    }
    const t = new Tensor(dtype, new (dtype === 'int32' ? Int32Array : dtype === 'uint8' ? Uint8Array : dtype === 'int8' ? Int8Array : Float32Array)(n) as never, dims);
    this.#bufs[i] = t as Tensor;
    return t;
  }
}

export function dynamicQVariants(ctx: NativeContext, kernels: readonly NativeKernelInfo[], inner: readonly KernelVariant[]): KernelVariant[] {
  const out: KernelVariant[] = [];
  for (const k of kernels) {
    if (k.needs7bit) continue;
    const name = `native-${k.name}`;
    // This kernel's own variant of the inner op; for convolutions its GEMM variant declines depthwise nodes, which take
    // the direct depthwise variants (csrc/dwconv.cc) when they accept the node.
    const innerOf = (op: string, wType: Q8, n?: KernelNode) => {
      const same = inner.filter((v) => v.key === `${op}:u8x${DTYPE_SHORT[wType]}->i32`);
      const own = same.find((v) => v.name === name);
      if (!n || !own || own.supports?.(innerNode(n, op)) !== false) return own;
      return same.filter((v) => v.name.startsWith('native-dw-') && v.supports?.(innerNode(n, op)) !== false).at(-1) ?? own;
    };
    const wConst = (n: KernelNode) => {
      const w = n.constants?.get(1);
      return isQ8(w) ? w : undefined;
    };
    out.push({
      key: DYNAMIC_QMATMUL_KEY, name, isa: k.isa as Isa, tolerance: 'exact', tile: 32,
      supports: (n) => wConst(n)?.dims.length === 2 && !!innerOf('MatMulInteger', wConst(n)!.dtype),
      create: (n) => createDynamic(ctx, n, false, innerOf('MatMulInteger', wConst(n)?.dtype ?? 'int8', n)),
    });
    // Sibling DynamicQMatMuls of one x as one GEMM (the runtime's fuse-dynamic-siblings): x quantized once, the
    // outputs' columns stored straight into their own tensors.
    out.push({
      key: DYNAMIC_QMATMUL_SPLIT_KEY, name, isa: k.isa as Isa, tolerance: 'exact', tile: 32,
      supports: (n) => wConst(n)?.dims.length === 2 && !!innerOf('MatMulInteger', wConst(n)!.dtype),
      create: (n) => createDynamicSplit(ctx, n, innerOf('MatMulInteger', wConst(n)?.dtype ?? 'int8', n)),
    });
    // B an activation (attention: the runtime fuses DynamicQuantizeLinear(B)'s outputs in): x quantized, then every
    // batch matrix in one native call that scales the sums to float32 in place.
    out.push({
      key: DYNAMIC_QMATMUL_KEY, name: `${name}-dynamic-b`, isa: k.isa as Isa, tolerance: 'exact', tile: 32,
      supports: (n) => wConst(n) === undefined,
      create: (n) => createDynamicB(ctx, n, k),
    });
    for (const key of [DYNAMIC_QCONV_KEY, DYNAMIC_QCONV_U8_KEY, DYNAMIC_QCONV_QUANTIZE_KEY, DYNAMIC_QCONV_QUANTIZE_U8_KEY]) {
      out.push({
        key, name, isa: k.isa as Isa, tolerance: 'exact', tile: 32,
        supports: (n) => wConst(n)?.dims.length === 4 && !!innerOf('ConvInteger', wConst(n)!.dtype),
        create: (n) => createDynamic(ctx, n, true, innerOf('ConvInteger', wConst(n)?.dtype ?? 'int8', n), key === DYNAMIC_QCONV_U8_KEY || key === DYNAMIC_QCONV_QUANTIZE_U8_KEY,
          key === DYNAMIC_QCONV_QUANTIZE_KEY || key === DYNAMIC_QCONV_QUANTIZE_U8_KEY),
      });
    }
  }
  return out;
}

/** DynamicQConv's `activation` attributes as a FloatAct, or undefined when they are not a valid one (the reference reports). */
function activationOf(node: KernelNode): FloatAct | undefined {
  const num = (name: string, dflt: number) => {
    const v = node.attrs.get(name);
    return v === undefined ? dflt : typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : NaN;
  };
  const kind = num('activation', 0);
  const lo = Math.fround(num('activation_min', -Infinity));
  const hi = Math.fround(num('activation_max', Infinity));
  if (kind === 0 || kind === 1) return { kind, lo: 0, hi: 0, p: 0, q: 0 };
  if ((kind === 2 || kind === 3) && !(lo <= hi)) return undefined;
  if (kind === 2) return { kind, lo, hi, p: 0, q: 0 };
  if (kind === 3) return { kind, lo, hi, p: Math.fround(num('activation_add', 3)), q: Math.fround(num('activation_div', 6)) };
  if (kind === 4) return { kind, lo: 0, hi: 0, p: Math.fround(num('activation_alpha', 0.2)), q: Math.fround(num('activation_beta', 0.5)) };
  return undefined;
}

/**
 * lowbit.DynamicQMatMul / DynamicQConv with constant weights. `quantizedInput` (DynamicQConv:u8): x is already x_q
 * (uint8) with x_scale and x_zero_point as inputs 5 and 6 (a shared DynamicQuantizeLinear's outputs), so nothing is
 * quantized here; the integer part and the epilogue are the same.
 */
function createDynamic(ctx: NativeContext, node: KernelNode, conv: boolean, innerVariant: KernelVariant | undefined, quantizedInput = false, quantizeOut = false): NativeInstance & { readonly boundRuns: number } {
  const refKey = quantizeOut ? (quantizedInput ? DYNAMIC_QCONV_QUANTIZE_U8_KEY : DYNAMIC_QCONV_QUANTIZE_KEY) : quantizedInput ? DYNAMIC_QCONV_U8_KEY : conv ? DYNAMIC_QCONV_KEY : DYNAMIC_QMATMUL_KEY;
  const ref = lazyReference(ctx, refKey, node);
  const act = conv ? activationOf(node) : { kind: 0 as const, lo: 0, hi: 0, p: 0, q: 0 };
  const w0 = node.constants?.get(1);
  let inner: (KernelInstance & { referenceRuns?: number; runScaled?: ScaledConvInstance['runScaled']; runScaledQuantize?: ScaledConvInstance['runScaledQuantize']; runDynamicPoint?: ScaledConvInstance['runDynamicPoint']; bindDynamic?: ScaledConvInstance['bindDynamic']; gemm?: NativeQGemm }) | undefined;
  if (innerVariant && isQ8(w0)) inner = innerVariant.create(innerNode(node, conv ? 'ConvInteger' : 'MatMulInteger'));
  const scratch = new Scratch();
  const scale = new Float32Array(Math.max(1, conv ? 1 : (w0?.dims[1] ?? 1)));
  let xqBuf = new Uint8Array(0);
  const qScale = new Float32Array(1);
  const qZp = new Uint8Array(1);
  // The quantized input's zero point as a tensor, reused every run (its own ArrayBuffer: see float-ops.ts WALK).
  const zpTensor = new Tensor('uint8', new Uint8Array(new ArrayBuffer(8), 0, 1), []);
  // A DynamicQConv with inputs 1..4 the node's constants: after a run of the convolution's scaled path, its operands
  // are bound in the addon for x's dims (`bound`): one call per run (the float-input form quantizes x in it; the
  // quantized-input form passes x_q's scale and zero point; DynamicQConvQuantize quantizes the result in it too).
  const [c1, c2, c3, c4] = [1, 2, 3, 4].map((i) => node.constants?.get(i));
  const maxInputs = quantizedInput ? 7 : 5;
  const constIn = conv && c1 && c2 && (node.inputTypes[3] == null || c3) && (node.inputTypes[4] == null || c4)
    ? (inp: readonly (Tensor | null | undefined)[]) => inp[1] === c1 && inp[2] === c2 && (inp[3] ?? undefined) === c3 && (inp[4] ?? undefined) === c4 && inp.length <= maxInputs
    : undefined;
  let bound: { readonly op: NativeDynamicConvBound; readonly xDims: readonly number[]; readonly yDims: readonly number[] } | undefined;
  let boundRuns = 0;
  // DynamicQConvQuantize: the output's scale and zero point, and its range as the convolution's epilogue gathered it
  // ([lo, hi, 1]; [.., .., 0] when the path has no such epilogue: then DynamicQuantizeLinear's own range pass)
  const outScale = new Float32Array(1);
  const outZp = new Uint8Array(1);
  const outRange = quantizeOut ? new Float32Array(3) : undefined;
  const floats = sharedFloatContext(ctx);
  const quantized = (yq: Tensor<'uint8'>, rctx: RunContext): Tensor[] => {
    const s = rctx.alloc('float32', []);
    s.data[0] = outScale[0];
    const z = rctx.alloc('uint8', []);
    z.data[0] = outZp[0];
    return [yq, s, z];
  };
  // DynamicQConvQuantize's last step on the float result: the range the epilogue gathered (no range pass), else
  // DynamicQuantizeLinear whole; the same bytes either way (defined once: `run` allocates no closure for it)
  const quantizeFloat = (yf: Tensor<'float32'>, inputs: readonly (Tensor | null)[], rctx: RunContext): (Tensor | null)[] => {
    const yq = rctx.alloc('uint8', yf.dims);
    if (outRange![2] === 1 && ctx.addon.quantizeLinearRanged(yf.data, yq.data, outRange!, outScale, outZp, ctx.pool())) return quantized(yq, rctx);
    if (!ctx.addon.dynamicQuantizeLinear(yf.data, yq.data, outScale, outZp, ctx.pool())) return ref().run(inputs, rctx); // non-finite: the reference reports it
    return quantized(yq, rctx);
  };
  // the reduction length of one output (C / group * KH * KW)
  const kSize = w0 && w0.dims.length >= 2 ? w0.data.length / w0.dims[0] : Infinity;
  // x_q of the float-input form's unbound path as a tensor, rebuilt only when the buffer or dims change
  let xqTensor: Tensor<'uint8'> | undefined;
  return {
    get referenceRuns() {
      return ref.calls + (inner?.referenceRuns ?? 0);
    },
    get boundRuns() {
      return boundRuns;
    },
    run(inputs, rctx) {
      const x0 = inputs[0];
      if (outRange) outRange[2] = 0;
      const xs0 = inputs[5], xz0 = inputs[6];
      if (bound && x0 && sameDims(x0.dims, bound.xDims) && constIn!(inputs) && (quantizedInput
        ? x0.dtype === 'uint8' && xs0?.dtype === 'float32' && xs0.data.length === 1 && xz0?.dtype === 'uint8' && xz0.data.length === 1
        : x0.dtype === 'float32')) {
        // DynamicQConvQuantize: the float result in the shared scratch, quantized into yq in the same call
        const y = (quantizeOut ? floats : rctx).alloc('float32', bound.yDims);
        const yq = quantizeOut ? rctx.alloc('uint8', bound.yDims) : undefined;
        const ok = quantizedInput
          ? bound.op.runDynamicConvQ(ctx.pool(), x0.data as Uint8Array, xs0!.data[0] as number, xz0!.data[0] as number, x0.dims[0], y.data, null, yq?.data, outScale, outZp)
          : bound.op.runDynamicConv(ctx.pool(), x0.data as Float32Array, x0.dims[0], y.data, null, yq?.data, outScale, outZp);
        if (!ok) return ref().run(inputs, rctx); // empty / non-finite: the reference reports it
        boundRuns++;
        return yq ? quantized(yq, rctx) : [y];
      }
      const x = inputs[0], w = inputs[1], ws = inputs[2], zw = inputs[3] ?? null;
      const bias = inputs[4] ?? null;
      // DynamicQMatMul's residual (input 5; DynamicQConv's input 5 is the quantized-input form's x_scale)
      const res = conv ? null : (inputs[5] ?? null);
      if (!inner || !act || !x || x.dtype !== (quantizedInput ? 'uint8' : 'float32') || !isQ8(w) || (w !== w0 && (w.dtype !== w0!.dtype || w.dims.join() !== w0!.dims.join())) || !isF32(ws)) return ref().run(inputs, rctx);
      const N = conv ? w.dims[0] : w.dims[1];
      if (x.dims.length < (conv ? 3 : 1) || (!conv && x.dims[x.dims.length - 1] !== w.dims[0])) return ref().run(inputs, rctx);
      if (zw && (zw.dtype !== w.dtype || !perOr(zw, N))) return ref().run(inputs, rctx);
      if (conv ? ws.data.length !== 1 || (bias && (!isF32(bias) || bias.data.length !== N)) : !perOr(ws, N) || (bias && (!isF32(bias) || !perOr(bias, N)))) {
        return ref().run(inputs, rctx);
      }
      const g = conv ? undefined : inner.gemm;
      if (g && x.data.length > 0) {
        // One call: quantize x, the GEMM, and the float epilogue in the GEMM's tiles (scales fround(x_s * w_s[j])); a
        // residual of y's own dims (the folded Add) added by the GEMM, any other through addResidual (broadcast)
        const y = rctx.alloc('float32', x.dims.length === 1 ? [N] : [...x.dims.slice(0, -1), N]);
        const zwd = zw ? (zw.data as Uint8Array | Int8Array) : null;
        const fused = res && res.dtype === 'float32' && sameDims(res.dims, y.dims) && !overlaps(res.data as Float32Array, y.data) ? (res.data as Float32Array) : null;
        if (g.runDynamic(ctx.pool(), x.data as Float32Array, x.data.length / w.dims[0], zwd, ws.data, bias ? (bias.data as Float32Array) : null, y.data, 0, 0, 0, 0, 0, fused)) {
          return [fused || !res ? y : addResidual(node, y, inputs, 5, rctx)];
        }
        return ref().run(inputs, rctx); // non-finite x: the reference reports it
      }
      if (res) return ref().run(inputs, rctx);
      if (conv && !quantizedInput && inner.runDynamicPoint) {
        // a 1x1 convolution of a 1x1 input: quantize, GEMM row, epilogue and activation in one call
        const y = inner.runDynamicPoint(x, zw, ws.data, bias ? (bias.data as Float32Array) : null, quantizeOut ? floats : rctx, act);
        if (y) return quantizeOut ? quantizeFloat(y, inputs, rctx) : [y];
        if (y === null) return ref().run(inputs, rctx); // empty / non-finite: the reference reports it
      }
      let xq: Tensor<'uint8'>;
      if (quantizedInput) {
        const xs = inputs[5], xz = inputs[6];
        if (!isF32(xs) || xs.data.length !== 1 || xz?.dtype !== 'uint8' || xz.data.length !== 1) return ref().run(inputs, rctx);
        qScale[0] = xs.data[0];
        qZp[0] = xz.data[0] as number;
        xq = x as Tensor<'uint8'>;
      } else {
        if (xqBuf.length !== x.data.length) xqBuf = new Uint8Array(x.data.length);
        // (large x: the range and quantizing passes split over the backend's threads, the same bytes)
        if (!ctx.addon.dynamicQuantizeLinear(x.data as Float32Array, xqBuf, qScale, qZp, ctx.pool())) return ref().run(inputs, rctx); // empty / non-finite: the reference reports it
        if (!xqTensor || xqTensor.data !== xqBuf || !sameDims(xqTensor.dims, x.dims)) xqTensor = new Tensor('uint8', xqBuf, x.dims);
        xq = xqTensor;
      }
      const xScale = qScale[0], xZero = qZp[0];
      zpTensor.data[0] = xZero;
      // DynamicQConvQuantize with a short reduction and a large result on one thread: two passes over the sums, no
      // float result (a float-input node then stays unbound: its x is quantized above, as on the first run)
      if (quantizeOut && conv && ctx.threads <= 1 && inner.runScaledQuantize && kSize <= TWO_PASS_MAX_K) {
        const yq = inner.runScaledQuantize(xq, zw, xZero, Math.fround(xScale * ws.data[0]), bias ? (bias.data as Float32Array) : null, rctx, act, outScale, outZp, TWO_PASS_MIN_OUTPUT);
        if (yq) return quantized(yq, rctx);
        if (yq === null) return ref().run(inputs, rctx); // non-finite: the reference reports it
      }
      // DynamicQConvQuantize: the float result goes to the shared scratch, then DynamicQuantizeLinear's kernel
      const yctx: RunContext = quantizeOut ? floats : rctx;
      if (conv && inner.runScaled) {
        // The GEMM kernel's direct convolution applies the same float32 epilogue itself (no int32 buffer, no extra pass).
        scale[0] = Math.fround(xScale * ws.data[0]);
        const y = inner.runScaled(xq, zw, xZero, scale[0], bias ? (bias.data as Float32Array) : null, yctx, act, outRange);
        if (y) {
          if (constIn?.(inputs)) {
            const op = inner.bindDynamic?.(x.dims, zw, ws.data[0], bias ? (bias.data as Float32Array) : null, act);
            if (op) bound = { op, xDims: x.dims.slice(), yDims: y.dims.slice() };
          }
          return quantizeOut ? quantizeFloat(y, inputs, rctx) : [y];
        }
      }
      const [acc] = inner.run([xq, w, zpTensor, zw], scratch.begin()) as [Tensor<'int32'>];
      const y = yctx.alloc('float32', acc.dims);
      const wsd = ws.data;
      const bd = bias ? (bias.data as Float32Array) : null;
      if (conv) {
        scale[0] = Math.fround(xScale * wsd[0]);
        const plane = acc.data.length / ((acc.dims[0] * N) || 1);
        ctx.addon.scaleAccumulators(acc.data, scale.subarray(0, 1), bd, acc.dims[0], N, plane, y.data, act.kind, act.lo, act.hi, act.p, act.q);
        if (quantizeOut) return quantizeFloat(y, inputs, rctx);
      } else {
        const sn = wsd.length === 1 ? 1 : N;
        for (let j = 0; j < sn; j++) scale[j] = Math.fround(xScale * wsd[j]);
        ctx.addon.scaleAccumulators(acc.data, scale.subarray(0, sn), bd, acc.data.length / (N || 1), N, 1, y.data);
      }
      return [y];
    },
    dispose() {
      inner?.dispose?.();
      inner = undefined;
    },
  };
}
