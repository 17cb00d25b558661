/**
 * Native QuantizeLinear (`f32->u8`, `f32->i8`), DequantizeLinear (`u8->f32`, `i8->f32`) and DynamicQuantizeLinear
 * (`f32->u8`, the reference's float32 steps for scale and zero point), isa `avx2` where the CPU has it (the AVX2 build
 * of csrc/qdq_kernels.inc; QuantizeLinear runs csrc/qdq_avx512.cc, sixteen lanes, where the CPU has AVX-512) and
 * `scalar-c` elsewhere (plain C++, vectorised by the compiler), per tensor or per axis, bit-identical to the reference
 * (the builds give identical results):
 *
 *   quantize:   y = clamp(roundHalfEven(fround(x / scale)) + zero_point, qmin, qmax); NaN -> qmin, +-Inf saturate
 *   dequantize: y = fround((x - zero_point) * scale)
 *
 * float32 scales only; blocked quantization (block_size), the `precision` / `output_dtype` attributes that change the
 * arithmetic, and float16 scales run the reference.
 */
import { sameDims, type KernelNode, type KernelVariant, type Tensor } from '@lowbit/kernels';
import { nativeInstance, type NativeContext } from './context.js';

const isF32 = (t: Tensor | null | undefined): t is Tensor<'float32'> => !!t && t.dtype === 'float32';
const isQ8 = (t: Tensor | null | undefined): t is Tensor<'uint8' | 'int8'> => !!t && (t.dtype === 'uint8' || t.dtype === 'int8');

function intAttr(node: KernelNode, name: string): number | undefined {
  const v = node.attrs.get(name);
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined;
}

/** [outer, C, inner] of `dims` around `axis` for a scale of `n` values, or undefined when it is not per tensor/axis. */
function layout(node: KernelNode, dims: readonly number[], scale: Tensor): [number, number, number] | undefined {
  const total = dims.reduce((p, d) => p * d, 1);
  if (scale.data.length === 1 && scale.dims.length <= 1) return [1, 1, total];
  if (scale.dims.length !== 1 || dims.length === 0) return undefined;
  const raw = intAttr(node, 'axis') ?? 1;
  const axis = raw < 0 ? raw + dims.length : raw;
  if (axis < 0 || axis >= dims.length || dims[axis] !== scale.data.length) return undefined;
  const outer = dims.slice(0, axis).reduce((p, d) => p * d, 1);
  const inner = dims.slice(axis + 1).reduce((p, d) => p * d, 1);
  return [outer, dims[axis], inner];
}

/**
 * `layout` for one node, remembered for the last x dims and scale dims met (a scale's element count is its dims'
 * product, all `layout` reads of it), so a steady-state run works nothing out again.
 */
function layoutMemo(node: KernelNode): (dims: readonly number[], scale: Tensor) => [number, number, number] | undefined {
  let lastDims: readonly number[] | undefined;
  let lastScale: readonly number[] = [];
  let last: [number, number, number] | undefined;
  return (dims, scale) => {
    if (lastDims !== undefined && sameDims(dims, lastDims) && sameDims(scale.dims, lastScale)) return last;
    last = layout(node, dims, scale);
    lastDims = dims.slice();
    lastScale = scale.dims.slice();
    return last;
  };
}

const plain = (node: KernelNode) => !intAttr(node, 'block_size') && node.attrs.get('precision') === undefined;

export function qdqVariants(ctx: NativeContext, avx2 = false): KernelVariant[] {
  const out: KernelVariant[] = [];
  const isa = avx2 ? 'avx2' : 'scalar-c';
  const name = `native-${isa}`;
  for (const [ty, s] of [['uint8', 'u8'], ['int8', 'i8']] as const) {
    const qKey = `QuantizeLinear:f32->${s}`;
    out.push({ key: qKey, name, isa, tolerance: 'exact', supports: plain, create: (node) => {
      const od = intAttr(node, 'output_dtype');
      const isPlain = plain(node);
      const layoutOf = layoutMemo(node);
      return nativeInstance(ctx, qKey, node, (inputs, rctx) => {
        const x = inputs[0];
        const scale = inputs[1];
        const zp = inputs[2] ?? null;
        const lay = isF32(x) && isF32(scale) && isPlain ? layoutOf(x.dims, scale) : undefined;
        const zpOk = zp ? zp.dtype === ty && zp.data.length === scale!.data.length : od === undefined || od === 0 || od === (ty === 'uint8' ? 2 : 3);
        if (!lay || !zpOk || (!zp && ty === 'int8' && od !== 3)) return undefined;
        const y = rctx.alloc(ty, x!.dims);
        ctx.addon.quantizeLinear((x as Tensor<'float32'>).data, (scale as Tensor<'float32'>).data, zp ? (zp.data as Uint8Array | Int8Array) : null, lay[0], lay[1], lay[2], y.data as Uint8Array | Int8Array, ctx.pool());
        return [y];
      });
    } });
    const dKey = `DequantizeLinear:${s}->f32`;
    out.push({ key: dKey, name, isa, tolerance: 'exact', supports: plain, create: (node) => {
      const od = intAttr(node, 'output_dtype');
      const isPlain = plain(node);
      const layoutOf = layoutMemo(node);
      return nativeInstance(ctx, dKey, node, (inputs, rctx) => {
        const x = inputs[0];
        const scale = inputs[1];
        const zp = inputs[2] ?? null;
        const lay = isQ8(x) && x.dtype === ty && isF32(scale) && isPlain && (od === undefined || od === 0 || od === 1) ? layoutOf(x.dims, scale) : undefined;
        if (!lay || (zp && (zp.dtype !== ty || zp.data.length !== scale!.data.length))) return undefined;
        const y = rctx.alloc('float32', x!.dims);
        ctx.addon.dequantizeLinear((x as Tensor<'uint8' | 'int8'>).data, (scale as Tensor<'float32'>).data, zp ? (zp.data as Uint8Array | Int8Array) : null, lay[0], lay[1], lay[2], y.data, ctx.pool());
        return [y];
      });
    } });
  }
  const dKey = 'DynamicQuantizeLinear:f32->u8';
  out.push({ key: dKey, name, isa, tolerance: 'exact', create: (node) => nativeInstance(ctx, dKey, node, (inputs, rctx) => {
    const x = inputs[0];
    if (!isF32(x) || x.data.length === 0) return undefined;
    const y = rctx.alloc('uint8', x.dims);
    const scale = rctx.alloc('float32', []);
    const zp = rctx.alloc('uint8', []);
    // Not finite: the reference reports the error (nothing was written).
    if (!ctx.addon.dynamicQuantizeLinear(x.data, y.data, scale.data, zp.data, ctx.pool())) return undefined;
    return [y, scale, zp];
  }) });
  return out;
}
