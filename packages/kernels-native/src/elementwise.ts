/**
 * Native float element-wise variants for ops whose JS reference is slow: `Erf:f32` (BERT's GELU). On CPUs with AVX2
 * (eight lanes) or AVX-512 (sixteen), in float32: erf(x) = x * (hi_j + d_j(t)) on 16 intervals of 1/4 over [0, 4)
 * (csrc/erf_table_f32.inc, degree-5 d_j, the row picked by a register permute), evaluated as fma(x, hi_j, x * d_j) so
 * the large term is rounded once: at most 1.0 ulp from the true value over every float32 input (checked
 * exhaustively), the two builds bit-identical. Elsewhere (scalar C) `float(x * Q_j(t))` with a degree-9 double
 * polynomial (csrc/erf_table.inc, relative error below 1e-14). +-1 beyond 4. The reference sums a series in double
 * and rounds once, so any build differs from it by at most 1 ulp: declared tolerance `{ ulp: 1 }`. NaN -> NaN,
 * erf(+-inf) = +-1, erf(-0) = +0 (as the reference).
 *
 * `Cast:i32->f32`: one conversion per element, nearest even, exact.
 *
 * `lowbit.QLookup:{u8,i8}` (the runtime's fused byte table, see @lowbit/kernels quant/qlookup.ts): y = table[byte(x)]
 * in a C loop over bytes (8-bit tables) or 32-bit words (float32 tables), exact.
 *
 * `lowbit.GeluErf:f32` (the fused GELU, see @lowbit/kernels nn/gelu-erf.ts): the same float32 steps as the unfused
 * Mul/Div, Erf, Add, Mul, Mul run by the native kernels of the same build (bit-identical to them), in one pass over
 * memory. Against the
 * reference it inherits Erf's rare 1-ulp difference, which `erf(s) + c2` and the products can widen when the sum
 * cancels (erf(s) near -c2): |difference| <= |x * c3| * 2^-24 + 2 ulp of y, declared as rtol 2.4e-7, atol 3e-7
 * (|x| < 4 * sqrt 2 wherever erf is not exactly +-1, and c3 is 0.5 in GELU).
 *
 * `lowbit.QGeluErf:f32` (GeluErf then a per-tensor QuantizeLinear to u8/i8, fused by the runtime): the GELU above and
 * the native QuantizeLinear over 1024 values at a time, bit-identical to those two kernels; against the reference the
 * GELU's small difference can move a value across a rounding boundary: at most 1 quantization step
 * (`{ rtol: 0, atol: 1 }`).
 */
import { geluErfParams, type KernelVariant, type Tensor } from '@lowbit/kernels';
import { nativeInstance, type NativeContext } from './context.js';

/** `isa`: the widest build the addon dispatches Erf and GeluErf to on this CPU (it names the variants). */
export function elementwiseVariants(ctx: NativeContext, isa: 'avx512' | 'avx2' | 'scalar-c'): KernelVariant[] {
  const f32 = (t: Tensor | null | undefined): t is Tensor<'float32'> => t?.dtype === 'float32';
  const q8 = (t: Tensor | null | undefined): t is Tensor<'uint8' | 'int8'> => t?.dtype === 'uint8' || t?.dtype === 'int8';
  return [{
    key: 'Erf:f32',
    name: `native-${isa}`,
    isa,
    tolerance: { ulp: 1 },
    writesAllOutputs: true,
    create: (node) => nativeInstance(ctx, 'Erf:f32', node, (inputs, rctx) => {
      const x = inputs[0];
      if (!f32(x)) return undefined;
      const y = rctx.alloc('float32', x.dims);
      ctx.addon.erf(x.data, y.data);
      return [y];
    }),
  }, {
    // Cast int32 -> float32 (the dynamic-int8 chains' Cast of MatMulInteger/ConvInteger results): exact.
    key: 'Cast:i32->f32',
    name: 'native-scalar-c',
    isa: 'scalar-c',
    tolerance: 'exact',
    create: (node) => nativeInstance(ctx, 'Cast:i32->f32', node, (inputs, rctx) => {
      const x = inputs[0];
      if (x?.dtype !== 'int32') return undefined;
      const y = rctx.alloc('float32', x.dims);
      ctx.addon.castI32F32(x.data as Int32Array, y.data);
      return [y];
    }),
  }, {
    key: 'lowbit.GeluErf:f32',
    name: `native-${isa}`,
    isa,
    tolerance: { rtol: 2.4e-7, atol: 3e-7 },
    writesAllOutputs: true,
    create(node) {
      const p = geluErfParams(node);
      return nativeInstance(ctx, 'lowbit.GeluErf:f32', node, (inputs, rctx) => {
        const x = inputs[0];
        if (!f32(x)) return undefined;
        const y = rctx.alloc('float32', x.dims);
        ctx.addon.gelu(x.data, p.c1, p.divide, p.c2, p.c3, p.scaleFirst, y.data, ctx.pool());
        return [y];
      });
    },
  }, {
    key: 'lowbit.QGeluErf:f32',
    name: `native-${isa}`,
    isa,
    tolerance: { rtol: 0, atol: 1 },
    writesAllOutputs: true,
    create(node) {
      const p = geluErfParams(node);
      return nativeInstance(ctx, 'lowbit.QGeluErf:f32', node, (inputs, rctx) => {
        const [x, scale, zp] = [inputs[0], inputs[1], inputs[2]];
        if (!f32(x) || !f32(scale) || scale.data.length !== 1 || !q8(zp) || zp.data.length !== 1) return undefined;
        const y = rctx.alloc(zp.dtype, x.dims);
        ctx.addon.gelu(x.data, p.c1, p.divide, p.c2, p.c3, p.scaleFirst, y.data as Uint8Array | Int8Array, scale.data[0], zp.data[0], ctx.pool());
        return [y];
      });
    },
  }, ...(['u8', 'i8'] as const).map((s): KernelVariant => ({
    // lowbit.QLookup (the runtime's fused DequantizeLinear -> float ops -> QuantizeLinear): y = table[byte(x)], exact.
    key: `lowbit.QLookup:${s}`,
    name: 'native-scalar-c',
    isa: 'scalar-c',
    tolerance: 'exact',
    writesAllOutputs: true,
    create: (node) => nativeInstance(ctx, `lowbit.QLookup:${s}`, node, (inputs, rctx) => {
      const [x, t] = [inputs[0], inputs[1]];
      if (!q8(x) || !t || t.data.length !== 256) return undefined;
      if (f32(t)) {
        const y = rctx.alloc('float32', x.dims);
        ctx.addon.lookupU32(bytesOf(x.data), wordsOf(t.data), wordsOf(y.data));
        return [y];
      }
      if (!q8(t)) return undefined;
      const y = rctx.alloc(t.dtype, x.dims);
      ctx.addon.lookupU8(bytesOf(x.data), bytesOf(t.data), bytesOf(y.data as Uint8Array | Int8Array));
      return [y];
    }),
  })), ...(['u8', 'i8'] as const).map((s): KernelVariant => ({
    // lowbit.QLookup2 (the runtime's fused DQ, DQ -> binary float op -> Q): y = table[a * 256 + b] for same-shape
    // inputs (any broadcast goes to the reference), exact.
    key: `lowbit.QLookup2:${s}`,
    name: 'native-scalar-c',
    isa: 'scalar-c',
    tolerance: 'exact',
    writesAllOutputs: true,
    create: (node) => nativeInstance(ctx, `lowbit.QLookup2:${s}`, node, (inputs, rctx) => {
      const [a, b, t] = [inputs[0], inputs[1], inputs[2]];
      if (!q8(a) || !q8(b) || !q8(t) || t.data.length !== 65536 || a.dims.length !== b.dims.length || a.dims.some((d, i) => d !== b.dims[i])) return undefined;
      const y = rctx.alloc(t.dtype, a.dims);
      ctx.addon.lookupPairs(bytesOf(a.data), bytesOf(b.data), bytesOf(t.data), bytesOf(y.data as Uint8Array | Int8Array));
      return [y];
    }),
  })), ...(['u8', 'i8'] as const).flatMap((s): KernelVariant[] => [{
    // lowbit.QLookupGlobalAveragePool (the runtime's squeeze-excite fusion): the reference's float32 running sum per
    // [n, c] plane of table[byte(x)], then fround(sum / count): exact.
    key: `lowbit.QLookupGlobalAveragePool:${s}`,
    name: 'native-scalar-c',
    isa: 'scalar-c',
    tolerance: 'exact',
    writesAllOutputs: true,
    create: (node) => nativeInstance(ctx, `lowbit.QLookupGlobalAveragePool:${s}`, node, (inputs, rctx) => {
      const [x, t, ys, yz] = [inputs[0], inputs[1], inputs[2] ?? null, inputs[3] ?? null];
      if (!q8(x) || !f32(t) || t.data.length !== 256 || x.dims.length < 3 || x.dims.length > 10) return undefined;
      if ((ys || yz) && (!f32(ys) || ys.data.length !== 1 || !q8(yz) || yz.data.length !== 1)) return undefined;
      const rows = x.dims[0] * x.dims[1];
      const plane = rows === 0 ? 0 : x.data.length / rows;
      if (plane === 0) return undefined; // an empty plane averages to NaN: the reference says so
      const dims = [x.dims[0], x.dims[1], ...x.dims.slice(2).map(() => 1)];
      if (!ys || !yz) {
        const y = rctx.alloc('float32', dims);
        ctx.addon.lookupGap(bytesOf(x.data), t.data, rows, plane, y.data);
        return [y];
      }
      // Quantized output (the pool's QuantizeLinear folded in): the averages, then the native QuantizeLinear (exact).
      const avg = new Float32Array(rows);
      ctx.addon.lookupGap(bytesOf(x.data), t.data, rows, plane, avg);
      const y = rctx.alloc(yz.dtype, dims);
      ctx.addon.quantizeLinear(avg, ys.data, yz.data, 1, 1, rows, y.data as Uint8Array | Int8Array);
      return [y];
    }),
  }, {
    // lowbit.QLookupMulQuantize with one gate value per [n, c] plane (squeeze-excite); any other broadcast goes to the
    // reference. Exact (one float32 product, division and ties-to-even rounding per element, as QuantizeLinear).
    key: `lowbit.QLookupMulQuantize:${s}`,
    name: 'native-scalar-c',
    isa: 'scalar-c',
    tolerance: 'exact',
    writesAllOutputs: true,
    create: (node) => nativeInstance(ctx, `lowbit.QLookupMulQuantize:${s}`, node, (inputs, rctx) => {
      const [x, t, g8, ys, yz, gt] = [inputs[0], inputs[1], inputs[2], inputs[3], inputs[4], inputs[5] ?? null];
      if (!q8(x) || !f32(t) || t.data.length !== 256 || !f32(ys) || ys.data.length !== 1 || !q8(yz) || yz.data.length !== 1) return undefined;
      // With a gate table (input 5) the gate is 8-bit and reads its values through it (exact: copies of the entries).
      let g: Tensor<'float32'>;
      if (gt) {
        if (!f32(gt) || gt.data.length !== 256 || !q8(g8)) return undefined;
        const gb = bytesOf(g8.data);
        const gv = new Float32Array(gb.length);
        for (let i = 0; i < gb.length; i++) gv[i] = gt.data[gb[i]];
        g = { dtype: 'float32', data: gv, dims: g8.dims } as Tensor<'float32'>;
      } else if (f32(g8)) g = g8;
      else return undefined;
      const d = x.dims;
      const r = d.length;
      if (r < 2 || g.dims.length !== r || !(g.dims[0] === 1 || g.dims[0] === d[0]) || !(g.dims[1] === 1 || g.dims[1] === d[1])) return undefined;
      for (let k = 2; k < r; k++) if (g.dims[k] !== 1) return undefined;
      const [N, C] = d;
      const plane = N * C === 0 ? 0 : x.data.length / (N * C);
      const y = rctx.alloc(yz.dtype, d);
      if (y.data.length === 0) return [y];
      ctx.addon.lookupMulQuantize(bytesOf(x.data), t.data, g.data, N, C, plane, g.dims[0] === 1 ? 0 : g.dims[1], g.dims[1] === 1 ? 0 : 1,
        ys.data[0], yz.data[0], yz.dtype === 'int8', bytesOf(y.data as Uint8Array | Int8Array));
      return [y];
    }),
  }])];
}

const bytesOf = (a: ArrayBufferView): Uint8Array => (a instanceof Uint8Array ? a : new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
const wordsOf = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer, a.byteOffset, a.length);
