/**
 * Quantization ops on the wasm kernels, bit-exact with the reference (per-tensor parameters; per-axis, blocked,
 * float16 scales, the opset-25 `precision` attribute and 16/4/2-bit types run on the reference):
 * - QuantizeLinear f32 -> u8/i8: `saturate(roundHalfEven(fround(x / scale)) + zp)`, NaN as 0.
 * - DequantizeLinear u8/i8 -> f32: `fround((x - zp) * scale)`.
 * - DynamicQuantizeLinear f32 -> u8: min/max on wasm, scale and zero point from @lowbit/qparams' `dynamicQuantize`
 *   (on [min, max], which is all they depend on), the data quantized as QuantizeLinear.
 * - QLinearMatMul {u8,i8} x {u8,i8} -> {u8,i8}: the exact integer GEMM (packed B at create when constant), then
 *   `saturate(roundHalfEven(fround(fround(acc) * m[j])) + zy)`, m[j] = requantMultiplier(a_scale, b_scale[j], y_scale);
 *   a/y parameters per-tensor, b's per-tensor or per-column.
 */
import { dynamicQuantize } from '@lowbit/qparams';
import { requantMultiplier, type KernelInstance, type KernelNode, type KernelVariant, type Tensor } from '@lowbit/kernels';
import type { WasmRuntime } from '../runtime.js';
import { copyOut, lazyReference, prod, withScratch } from '../runtime.js';
import { zeroPoints } from './matmul-integer.js';
import { freeQB, packQB, qgemmInto, type PackedQB } from './qmatmul-core.js';

type Q8 = 'uint8' | 'int8';
const SHORT = { uint8: 'u8', int8: 'i8' } as const;
const RANGE = { uint8: [0, 255], int8: [-128, 127] } as const;

/** A float32 scalar parameter (one element), else undefined. */
const f32Scalar = (t: Tensor | null | undefined): number | undefined => (t && t.dtype === 'float32' && t.data.length === 1 ? (t.data as Float32Array)[0] : undefined);
/** A valid scale (finite, > 0: what @lowbit/qparams accepts; anything else goes to the reference and its error). */
const scaleScalar = (t: Tensor | null | undefined): number | undefined => {
  const s = f32Scalar(t);
  return s !== undefined && s > 0 && Number.isFinite(s) ? s : undefined;
};
/** An 8-bit scalar zero point of `dtype` (absent: 0), else undefined. */
const zpScalar = (t: Tensor | null | undefined, dtype: Q8): number | undefined => (!t ? 0 : t.dtype === dtype && t.data.length === 1 ? (t.data as Int8Array | Uint8Array)[0] : undefined);

function quantizeInto(rt: WasmRuntime, x: Float32Array, scale: number, zp: number, out: Tensor): void {
  const n = x.length;
  const [lo, hi] = RANGE[out.dtype as Q8];
  withScratch(rt, (_alloc, place, dst) => {
    const xp = place(x);
    const yd = out.data as Uint8Array | Int8Array;
    const yp = dst(yd);
    rt.ex.quantize(xp, n, scale, zp, lo, hi, out.dtype === 'int8' ? 1 : 0, yp);
    copyOut(rt, yd, yp);
  });
}

function quantizeLinear(rt: WasmRuntime, node: KernelNode, out: Q8): KernelInstance {
  const reference = lazyReference(rt, node);
  const plain = !node.attrs.has('precision') && !node.attrs.has('block_size');
  return {
    run(inputs, ctx) {
      const [x, s, z] = inputs;
      const scale = scaleScalar(s);
      const zp = zpScalar(z, out);
      if (!plain || !x || x.dtype !== 'float32' || scale === undefined || zp === undefined) return reference(inputs, ctx);
      const y = ctx.alloc(out, x.dims);
      if (x.data.length > 0) quantizeInto(rt, x.data as Float32Array, scale, zp, y);
      return [y];
    },
  };
}

function dequantizeLinear(rt: WasmRuntime, node: KernelNode, src: Q8): KernelInstance {
  const reference = lazyReference(rt, node);
  return {
    run(inputs, ctx) {
      const [x, s, z] = inputs;
      const scale = scaleScalar(s);
      const zp = zpScalar(z, src);
      if (node.attrs.has('block_size') || !x || x.dtype !== src || scale === undefined || zp === undefined) return reference(inputs, ctx);
      const y = ctx.alloc('float32', x.dims);
      const n = x.data.length;
      if (n === 0) return [y];
      withScratch(rt, (_alloc, place, out) => {
        const xp = place(x.data as Uint8Array);
        const yp = out(y.data);
        rt.ex.dequantize(xp, n, src === 'int8' ? 1 : 0, zp, scale, yp);
        copyOut(rt, y.data, yp);
      });
      return [y];
    },
  };
}

function dynamicQuantizeLinear(rt: WasmRuntime, node: KernelNode): KernelInstance {
  const reference = lazyReference(rt, node);
  return {
    run(inputs, ctx) {
      const x = inputs[0];
      if (!x || x.dtype !== 'float32' || x.data.length === 0) return reference(inputs, ctx);
      const mm = withScratch(rt, (alloc, place) => {
        const xp = place(x.data as Float32Array);
        const o = alloc(8);
        rt.ex.minMax(xp, x.data.length, o);
        return [rt.heap.f32()[o >> 2], rt.heap.f32()[(o >> 2) + 1]];
      });
      if (!Number.isFinite(mm[0]) || !Number.isFinite(mm[1])) return reference(inputs, ctx); // its error
      const { scale, zeroPoint } = dynamicQuantize(mm);
      const y = ctx.alloc('uint8', x.dims);
      quantizeInto(rt, x.data as Float32Array, scale, zeroPoint, y);
      const s = ctx.alloc('float32', []);
      s.data[0] = scale;
      const z = ctx.alloc('uint8', []);
      z.data[0] = zeroPoint;
      return [y, s, z];
    },
  };
}

function qlinearMatMul(rt: WasmRuntime, node: KernelNode, ta: Q8, tb: Q8, ty: Q8): KernelInstance {
  const reference = lazyReference(rt, node);
  const bc = node.constants?.get(3);
  let packed: PackedQB | undefined = bc && bc.dims.length === 2 && bc.dtype === tb ? packQB(rt, bc, false, true) : undefined;
  return {
    run(inputs, ctx) {
      const [a, sa, za, b, sb, zb, sy, zy] = inputs;
      if (!a || !b || a.dtype !== ta || b.dtype !== tb || b.dims.length !== 2 || a.dims.length < 1) return reference(inputs, ctx);
      const K = a.dims[a.dims.length - 1];
      const [Kb, N] = b.dims;
      const aScale = f32Scalar(sa);
      const yScale = f32Scalar(sy);
      const zaV = zpScalar(za, ta);
      const zyV = zpScalar(zy, ty);
      const zbV = zb && zb.dtype === tb ? zeroPoints(zb, N) : undefined;
      const bScale = sb && sb.dtype === 'float32' && (sb.data.length === 1 || sb.data.length === N) ? (sb.data as Float32Array) : undefined;
      if (K !== Kb || aScale === undefined || yScale === undefined || zaV === undefined || zyV === undefined || !zbV || !bScale || zy?.dtype !== ty) return reference(inputs, ctx);
      const Np = Math.ceil(N / 4) * 4;
      const mult = new Float32Array(Np);
      for (let j = 0; j < N; j++) mult[j] = requantMultiplier(aScale, bScale.length === 1 ? bScale[0] : bScale[j], yScale);
      if (!mult.every(Number.isFinite)) return reference(inputs, ctx);
      const M = a.dims.length === 1 ? 1 : prod(a.dims.slice(0, -1));
      const y = ctx.alloc(ty, a.dims.length === 1 ? [N] : [...a.dims.slice(0, -1), N]);
      if (M * N === 0) return [y];
      const fresh = !packed || b.data !== bc?.data;
      const bp = fresh ? packQB(rt, b, false, false) : packed!;
      const [lo, hi] = RANGE[ty];
      try {
        qgemmInto(rt, a.data as Int8Array | Uint8Array, ta === 'int8', M, Int32Array.of(zaV), bp, zbV, (c, alloc) => {
          const mp = alloc(Np * 4);
          rt.heap.f32().set(mult, mp >> 2);
          const yd = y.data as Uint8Array | Int8Array;
          const yp = rt.heap.holds(yd) ? yd.byteOffset : alloc(M * N);
          rt.ex.requantize(c, M, N, mp, 0, zyV, lo, hi, ty === 'int8' ? 1 : 0, yp);
          copyOut(rt, yd, yp);
        });
      } finally {
        if (fresh) freeQB(rt, bp);
      }
      return [y];
    },
    dispose() {
      if (packed) freeQB(rt, packed);
      packed = undefined;
    },
  };
}

export function quantVariants(rt: WasmRuntime): KernelVariant[] {
  const v = (key: string, create: (node: KernelNode) => KernelInstance, tile = 4): KernelVariant => ({ key, name: 'wasm-simd128', isa: 'wasm-simd128', tolerance: 'exact', tile, create });
  const out: KernelVariant[] = [];
  const q8: Q8[] = ['uint8', 'int8'];
  for (const t of q8) {
    out.push(v(`QuantizeLinear:f32->${SHORT[t]}`, (node) => quantizeLinear(rt, node, t)));
    out.push(v(`DequantizeLinear:${SHORT[t]}->f32`, (node) => dequantizeLinear(rt, node, t)));
  }
  out.push(v('DynamicQuantizeLinear:f32->u8', (node) => dynamicQuantizeLinear(rt, node)));
  for (const ta of q8) for (const tb of q8) for (const ty of q8) {
    out.push({ ...v(`QLinearMatMul:${SHORT[ta]}x${SHORT[tb]}->${SHORT[ty]}`, (node) => qlinearMatMul(rt, node, ta, tb, ty), 8), name: 'wasm-simd128-4x8' });
  }
  return out;
}

