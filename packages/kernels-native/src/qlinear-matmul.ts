/**
 * Native QLinearMatMul variants (`QLinearMatMul:{u8,i8}x{u8,i8}->{u8,i8}`), one per int8 GEMM kernel this CPU runs:
 * the exact int32 GEMM of `MatMulInteger` followed, per thread block, by the reference output stage
 *
 *   y = clamp(roundHalfEven(fround(fround(acc) * m[j])) + y_zero_point, qmin, qmax),
 *   m[j] = fround(fround(a_scale * b_scale[j]) / y_scale)              (`requantMultiplier`, float32)
 *
 * so results are bit-identical to the reference. `lowbit.QLinearMatMulToFloat` (the same QLinearMatMul followed by
 * DequantizeLinear and an optional bias Add) runs as one GEMM whose tiles apply requantize, dequantize and bias in
 * registers (the addon's runFloat), each float32 step as the reference's, and a folded residual Add (input 9) after them. B (input 3) must be a constant 2-D initializer. Handled natively:
 * float32 scales, a / y scale and zero point per tensor, b's per tensor or per column; anything else (per-row a or
 * y parameters, float16 scales of opset 21, errors) runs the reference.
 */
import { addResidual, DTYPE_SHORT, requantMultiplier, sameDims, type Isa, type KernelInstance, type KernelNode, type KernelVariant, type Tensor } from '@lowbit/kernels';
import type { NativeKernelInfo, NativeQGemm, NativeQGemmBatch } from './addon.js';
import { BatchPlans, offsetsFit } from './batched.js';
import { lazyReference, overlaps, splitA, type NativeContext, type NativeInstance } from './context.js';
import { pack } from './matmul-integer.js';

const Q8 = ['uint8', 'int8'] as const;
type Q8 = (typeof Q8)[number];
const isQ8 = (t: Tensor | null | undefined): t is Tensor<Q8> => !!t && (t.dtype === 'uint8' || t.dtype === 'int8');
const isF32 = (t: Tensor | null | undefined): t is Tensor<'float32'> => !!t && t.dtype === 'float32';

function constantB(node: KernelNode): Tensor<Q8> | undefined {
  const b = node.constants?.get(3);
  return isQ8(b) && b.dims.length === 2 ? b : undefined;
}

export function qlinearMatMulVariants(ctx: NativeContext, kernels: readonly NativeKernelInfo[]): KernelVariant[] {
  const fast7 = kernels.find((k) => k.name === 'avx2-7bit');
  const out: KernelVariant[] = [];
  for (const k of kernels) {
    if (k.needs7bit) continue;
    const fast = k.name === 'avx2' ? fast7 : undefined;
    for (const ta of Q8)
      for (const tb of Q8)
        for (const ty of Q8) {
          const key = `QLinearMatMul:${DTYPE_SHORT[ta]}x${DTYPE_SHORT[tb]}->${DTYPE_SHORT[ty]}`;
          out.push({ key, name: `native-${k.name}`, isa: k.isa as Isa, tolerance: 'exact', tile: 32, supports: (node) => constantB(node) !== undefined, create: (node) => createQLinear(ctx, key, node, k, fast) });
          // Activations x activations (attention): all batch matrices in one native call.
          out.push({ key, name: `native-${k.name}-dynamic-b`, isa: k.isa as Isa, tolerance: 'exact', tile: 32, supports: (node) => constantB(node) === undefined, create: (node) => createDynamicB(ctx, key, node, k) });
        }
    // lowbit.QLinearMatMulToFloat (QLinearMatMul -> DequantizeLinear [-> Add(bias)], fused by the runtime): the
    // QLinearMatMul above, then one pass of dequantization and bias.
    for (const ta of Q8) {
      const key = `lowbit.QLinearMatMulToFloat:${DTYPE_SHORT[ta]}`;
      out.push({ key, name: `native-${k.name}`, isa: k.isa as Isa, tolerance: 'exact', tile: 32, supports: (node) => constantB(node) !== undefined, create: (node) => createToFloat(ctx, key, node, k, fast) });
      // lowbit.QLinearMatMulToFloatSplit (sibling QLinearMatMulToFloats of one input, fused by the runtime): one GEMM,
      // each column group requantized with its own output parameters and stored into its own output.
      const split = `lowbit.QLinearMatMulToFloatSplit:${DTYPE_SHORT[ta]}`;
      out.push({ key: split, name: `native-${k.name}`, isa: k.isa as Isa, tolerance: 'exact', tile: 32, supports: (node) => constantB(node) !== undefined, create: (node) => createToFloatSplit(ctx, split, node, k, fast) });
    }
  }
  return out;
}

function createToFloat(ctx: NativeContext, key: string, node: KernelNode, k: NativeKernelInfo, fast: NativeKernelInfo | undefined): NativeInstance {
  const ref = lazyReference(ctx, key, node);
  const q = qlinearPlan(ctx, node, k, fast);
  return {
    get referenceRuns() {
      return ref.calls;
    },
    run(inputs, rctx) {
      const sy = inputs[6] ?? null;
      const zy = inputs[7] ?? null;
      const bias = inputs[8] ?? null;
      const res = inputs[9] ?? null;
      const p = q.plan(inputs);
      if (!p || !isF32(sy) || sy.data.length !== 1 || !isQ8(zy) || zy.data.length !== 1 || (bias && (!isF32(bias) || (bias.data.length !== 1 && bias.data.length !== p.N)))) {
        return ref().run(inputs, rctx);
      }
      // One pass: the GEMM's tiles requantize (as QLinearMatMul), dequantize and add the bias in registers; a residual
      // of y's own dims (the folded Add) added by the GEMM over each finished block, any other through addResidual
      const y = rctx.alloc('float32', p.dims);
      const fused = res && res.dtype === 'float32' && sameDims(res.dims, y.dims) && !overlaps(res.data as Float32Array, y.data) ? (res.data as Float32Array) : null;
      p.g.runFloat(ctx.pool(), p.a.data, p.rows, p.za, p.zb, p.mult, bias ? (bias.data as Float32Array) : null, y.data, sy.data[0], Number(zy.data[0]), zy.dtype === 'int8', fused);
      return [fused || !res ? y : addResidual(node, y, inputs, 9, rctx)];
    },
    dispose() {
      q.dispose();
    },
  };
}

function createToFloatSplit(ctx: NativeContext, key: string, node: KernelNode, k: NativeKernelInfo, fast: NativeKernelInfo | undefined): NativeInstance {
  const ref = lazyReference(ctx, key, node);
  const b0 = constantB(node);
  let packed = b0 ? pack(ctx, b0, k, fast) : undefined;
  const v = node.attrs.get('splits');
  const splits = Array.isArray(v) ? v.map(Number) : [];
  const N = b0 ? b0.dims[1] : 0;
  const ok = splits.length > 0 && splits.every((n) => Number.isInteger(n) && n >= 1) && splits.reduce((a, b) => a + b, 0) === N;
  // each column's group, its requantize multiplier (kept while a_scale, b_scale, y_scale are the node's constants)
  const group = new Int32Array(N);
  for (let g = 0, off = 0; g < splits.length && ok; off += splits[g], g++) group.fill(g, off, off + splits[g]);
  const mult = new Float32Array(N);
  const [csa, csb, csy] = [1, 4, 6].map((i) => node.constants?.get(i));
  let multFor: readonly unknown[] | undefined;
  const yScale = new Float32Array(splits.length);
  const yZero = new Int32Array(splits.length);
  const one = (t: Tensor | null) => !!t && t.data.length === 1;
  const perOr = (t: Tensor | null) => !!t && (t.data.length === 1 || t.data.length === N);
  return {
    get referenceRuns() {
      return ref.calls;
    },
    run(inputs, rctx) {
      const [a, sa, za, b, sb, zb, sy, zy, bias] = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => inputs[i] ?? null);
      if (!packed || !ok || !b0 || inputs[9] || !isQ8(a) || !isQ8(b) || b.dtype !== b0.dtype || !sameDims(b.dims, b0.dims) || a.dims.length < 1) return ref().run(inputs, rctx);
      const s = splitA(a.dims);
      const G = splits.length;
      const okScales = isF32(sa) && one(sa) && isF32(sb) && perOr(sb) && isF32(sy) && sy.data.length === G;
      const okZps = (!za || (za.dtype === a.dtype && one(za))) && (!zb || (zb.dtype === b.dtype && perOr(zb))) && isQ8(zy) && zy.data.length === G;
      if (s.K !== b0.dims[0] || !okScales || !okZps || (bias && (!isF32(bias) || !perOr(bias)))) return ref().run(inputs, rctx);
      if (!(multFor && multFor[0] === sa && multFor[1] === sb && multFor[2] === sy && sa === csa && sb === csb && sy === csy)) {
        for (let j = 0; j < N; j++) mult[j] = requantMultiplier(sa.data[0], sb.data[sb.data.length === 1 ? 0 : j], sy.data[group[j]]);
        multFor = [sa, sb, sy];
      }
      for (let g = 0; g < G; g++) {
        yScale[g] = sy.data[g];
        yZero[g] = Number(zy.data[g]);
      }
      const lead = a.dims.length === 1 ? [] : [...s.lead, s.M];
      const ys = splits.map((n) => rctx.alloc('float32', [...lead, n]));
      packed.g.runFloat(ctx.pool(), a.data, s.batch * s.M, za ? (za.data as Uint8Array | Int8Array) : null, zb ? (zb.data as Uint8Array | Int8Array) : null, mult,
        bias ? (bias.data as Float32Array) : null, ys.map((t) => t.data), yScale, yZero, zy.dtype === 'int8');
      return ys;
    },
    dispose() {
      packed?.g.dispose();
      packed = undefined;
    },
  };
}

/** A QLinearMatMul call the packed kernel takes: its operands, rows, the multipliers (1 or N) and the output dims. */
interface QLinearCall {
  g: NativeQGemm;
  a: Tensor<Q8>;
  rows: number;
  N: number;
  za: Uint8Array | Int8Array | null;
  zb: Uint8Array | Int8Array | null;
  mult: Float32Array;
  dims: number[];
}

/**
 * B packed once; `plan` checks a call's inputs 0..7 (null: the reference runs it) and computes its multipliers, once
 * for the session when a_scale, b_scale and y_scale are the node's constants (fixed for its life).
 */
function qlinearPlan(ctx: NativeContext, node: KernelNode, k: NativeKernelInfo, fast: NativeKernelInfo | undefined) {
  const b0 = constantB(node);
  let packed = b0 ? pack(ctx, b0, k, fast) : undefined;
  const mult = new Float32Array(b0 ? b0.dims[1] : 1);
  const [csa, csb, csy] = [1, 4, 6].map((i) => node.constants?.get(i));
  let constMult: Float32Array | undefined;
  const one = (t: Tensor | null) => !!t && t.data.length === 1;
  return {
    plan(inputs: readonly (Tensor | null | undefined)[]): QLinearCall | null {
      const a = inputs[0] ?? null, sa = inputs[1] ?? null, za = inputs[2] ?? null, b = inputs[3] ?? null;
      const sb = inputs[4] ?? null, zb = inputs[5] ?? null, sy = inputs[6] ?? null, zy = inputs[7] ?? null;
      if (!packed || !b0 || !isQ8(a) || !isQ8(b) || !isQ8(zy) || b.dtype !== b0.dtype || b.dims.length !== 2 || b.dims[0] !== b0.dims[0] || b.dims[1] !== b0.dims[1] || a.dims.length < 1) return null;
      const [K, N] = b0.dims;
      const s = splitA(a.dims);
      const okScales = isF32(sa) && isF32(sb) && isF32(sy) && one(sa) && one(sy) && (sb.data.length === 1 || sb.data.length === N);
      const okZps = (!za || (za.dtype === a.dtype && one(za))) && (!zb || (zb.dtype === b.dtype && (zb.data.length === 1 || zb.data.length === N))) && one(zy);
      if (s.K !== K || !okScales || !okZps || N === 0) return null;
      const constant = sa === csa && sb === csb && sy === csy;
      let m = constant ? constMult : undefined;
      if (!m) {
        const sbData = sb.data;
        const n = sbData.length;
        m = n === 1 ? mult.subarray(0, 1) : mult;
        for (let j = 0; j < n; j++) m[j] = requantMultiplier(sa.data[0], sbData[j], sy.data[0]);
        if (constant) constMult = m.slice();
      }
      const dims = a.dims.length === 1 ? [N] : [...s.lead, s.M, N];
      return { g: packed.g, a, rows: s.batch * s.M, N, za: za ? (za.data as Uint8Array | Int8Array) : null, zb: zb ? (zb.data as Uint8Array | Int8Array) : null, mult: m, dims };
    },
    dispose() {
      packed?.g.dispose();
      packed = undefined;
    },
  };
}

function createQLinear(ctx: NativeContext, key: string, node: KernelNode, k: NativeKernelInfo, fast: NativeKernelInfo | undefined): NativeInstance {
  const ref = lazyReference(ctx, key, node);
  const q = qlinearPlan(ctx, node, k, fast);
  return {
    get referenceRuns() {
      return ref.calls;
    },
    run(inputs, rctx) {
      const p = q.plan(inputs);
      if (!p) return ref().run(inputs, rctx);
      const zy = inputs[7] as Tensor<Q8>;
      const y = rctx.alloc(zy.dtype, p.dims);
      p.g.runRequant(ctx.pool(), p.a.data, p.rows, p.za, p.zb, p.mult, zy.data[0], y.data as Uint8Array | Int8Array);
      return [y];
    },
    dispose() {
      q.dispose();
    },
  };
}

function createDynamicB(ctx: NativeContext, key: string, node: KernelNode, k: NativeKernelInfo): NativeInstance {
  const ref = lazyReference(ctx, key, node);
  const plans = new BatchPlans();
  const m = new Float32Array(new ArrayBuffer(4)); // its own ArrayBuffer: the addon reads it without moving it
  let g: NativeQGemmBatch | undefined;
  return {
    get referenceRuns() {
      return ref.calls;
    },
    run(inputs, rctx) {
      const [a, sa, za, b, sb, zb, sy, zy] = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => inputs[i] ?? null);
      if (!isQ8(a) || !isQ8(b) || !isQ8(zy) || a.dims.length < 2 || b.dims.length < 2 || a.dims[a.dims.length - 1] !== b.dims[b.dims.length - 2] || !offsetsFit(a.data.length, b.data.length)) {
        return ref().run(inputs, rctx);
      }
      const one = (t: Tensor | null) => !!t && t.data.length === 1;
      const okScales = isF32(sa) && isF32(sb) && isF32(sy) && one(sa) && one(sy) && one(sb);
      const okZps = (!za || (za.dtype === a.dtype && one(za))) && (!zb || (zb.dtype === b.dtype && one(zb))) && one(zy);
      if (!okScales || !okZps) return ref().run(inputs, rctx);
      const p = plans.plan(node, a.dims, b.dims, 0, 3);
      const { M, K, N } = p;
      if (M * N * K === 0) return ref().run(inputs, rctx);
      m[0] = requantMultiplier(sa.data[0], sb.data[0], sy.data[0]);
      const y = rctx.alloc(zy.dtype, p.outDims);
      // Every batch matrix in one call: each distinct B packed once, the workspace kept between runs.
      g ??= new ctx.addon.QGemmBatch(k.name, ctx.threads);
      g.runRequant(ctx.pool(), a.data, p.aOffsets, K, b.data, p.bOffsets, N, false, M, K, N, za ? Number(za.data[0]) : 0, zb ? Number(zb.data[0]) : 0, m, Number(zy.data[0]), y.data as Uint8Array | Int8Array);
      return [y];
    },
  };
}
