/**
 * Native float32 MatMul and Gemm variants (`MatMul:f32`, `Gemm:f32`), one per float GEMM kernel this CPU runs.
 *
 * B must be a constant 2-D initializer (packed once at create; Gemm's transB is folded into the packing); Gemm also
 * needs transA = 0. Each output accumulates k = 0..K-1 in order with fused multiply-adds (one rounding per step
 * instead of the reference's two; M = 1 sums 4 interleaved partial sums), so results differ from the reference by
 * rounding only: tolerance `{ rtol: 1e-4, atol: 1e-5 }` for well-conditioned sums; the equivalence tests also check
 * the bound K * 2^-23 * sum|a*b| against an exact sum. Gemm: `y = fround(fround(alpha * acc) + fround(beta * c))` as
 * the reference, with beta * C fused as a per-column bias when alpha = 1 and C broadcasts along rows.
 */
import { matmulPerms, planMatMul, type Isa, type KernelInstance, type KernelNode, type KernelVariant, type Tensor, type Tolerance } from '@lowbit/kernels';
import type { NativeFGemm, NativeFGemmBatch, NativeKernelInfo } from './addon.js';
import { BatchPlans, offsetsFit } from './batched.js';
import { lazyReference, splitA, type NativeContext, type NativeInstance } from './context.js';

export const FLOAT_TOLERANCE: Tolerance = { rtol: 1e-4, atol: 1e-5 };

const isF32 = (t: Tensor | null | undefined): t is Tensor<'float32'> => !!t && t.dtype === 'float32';

function num(node: KernelNode, name: string, dflt: number): number {
  const v = node.attrs.get(name);
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : dflt;
}

function constantB(node: KernelNode): Tensor<'float32'> | undefined {
  const b = node.constants?.get(1);
  return isF32(b) && b.dims.length === 2 ? b : undefined;
}

export function floatVariants(ctx: NativeContext, kernels: readonly NativeKernelInfo[]): KernelVariant[] {
  return kernels.flatMap((k): KernelVariant[] => [
    {
      key: 'MatMul:f32',
      name: `native-${k.name}`,
      isa: k.isa as Isa,
      tolerance: FLOAT_TOLERANCE,
      tile: 32,
      supports: (node) => constantB(node) !== undefined,
      create: (node) => createMatMul(ctx, node, k),
    },
    {
      // Activations x activations (attention's Q K^T and P V): all batch matrices in one native call.
      key: 'MatMul:f32',
      name: `native-${k.name}-dynamic-b`,
      isa: k.isa as Isa,
      tolerance: FLOAT_TOLERANCE,
      tile: 32,
      supports: (node) => constantB(node) === undefined,
      create: (node) => createDynamicBMatMul(ctx, node, k),
    },
    {
      // MatMul of transposed activations (the runtime folds Transpose -> MatMul): the batched call reads them in place.
      key: 'lowbit.PermutedMatMul:f32',
      name: `native-${k.name}`,
      isa: k.isa as Isa,
      tolerance: FLOAT_TOLERANCE,
      tile: 32,
      create: (node) => createPermutedMatMul(ctx, node, k),
    },
    {
      key: 'Gemm:f32',
      name: `native-${k.name}`,
      isa: k.isa as Isa,
      tolerance: FLOAT_TOLERANCE,
      tile: 32,
      supports: (node) => constantB(node) !== undefined && num(node, 'transA', 0) === 0,
      create: (node) => createGemm(ctx, node, k),
    },
  ]);
}

function createMatMul(ctx: NativeContext, node: KernelNode, k: NativeKernelInfo): NativeInstance {
  const ref = lazyReference(ctx, 'MatMul:f32', node);
  const b0 = constantB(node);
  let g: NativeFGemm | undefined = b0 ? new ctx.addon.FGemm(k.name, b0.data, b0.dims[0], b0.dims[1], false, ctx.threads) : undefined;
  return {
    get referenceRuns() {
      return ref.calls;
    },
    run(inputs, rctx) {
      const a = inputs[0];
      const b = inputs[1];
      if (!g || !b0 || !isF32(a) || !isF32(b) || b.dims.length !== 2 || b.dims[0] !== b0.dims[0] || b.dims[1] !== b0.dims[1] || a.dims.length < 1) return ref().run(inputs, rctx);
      const [K, N] = b0.dims;
      const s = splitA(a.dims);
      if (s.K !== K) return ref().run(inputs, rctx);
      const y = rctx.alloc('float32', a.dims.length === 1 ? [N] : [...s.lead, s.M, N]);
      g.run(ctx.pool(), a.data, s.batch * s.M, null, y.data);
      return [y];
    },
    dispose() {
      g?.dispose();
      g = undefined;
    },
  };
}

function createDynamicBMatMul(ctx: NativeContext, node: KernelNode, k: NativeKernelInfo): NativeInstance {
  const ref = lazyReference(ctx, 'MatMul:f32', node);
  const plans = new BatchPlans();
  let g: NativeFGemmBatch | undefined;
  return {
    get referenceRuns() {
      return ref.calls;
    },
    run(inputs, rctx) {
      const a = inputs[0];
      const b = inputs[1];
      if (!isF32(a) || !isF32(b) || a.dims.length < 2 || b.dims.length < 2 || a.dims[a.dims.length - 1] !== b.dims[b.dims.length - 2] || !offsetsFit(a.data.length, b.data.length)) {
        return ref().run(inputs, rctx);
      }
      const p = plans.plan(node, a.dims, b.dims);
      const { M, K, N } = p;
      const y = rctx.alloc('float32', p.outDims);
      if (M * N === 0) return [y];
      if (K === 0) {
        y.data.fill(0);
        return [y];
      }
      // Every batch matrix in one call: each distinct B packed once, the workspace kept between runs.
      g ??= new ctx.addon.FGemmBatch(k.name, ctx.threads);
      g.run(ctx.pool(), a.data, p.aOffsets, K, b.data, p.bOffsets, N, false, M, K, N, y.data);
      return [y];
    },
  };
}

/** The dims and element strides of Transpose(x, perm) read in place from a contiguous x of `dims`. */
function permutedView(dims: readonly number[], perm: readonly number[] | undefined): { dims: number[]; strides: number[] } | undefined {
  const strides = new Array<number>(dims.length);
  for (let i = dims.length - 1, s = 1; i >= 0; i--) {
    strides[i] = s;
    s *= dims[i];
  }
  if (!perm) return { dims: [...dims], strides };
  if (perm.length !== dims.length || ![...perm].sort((x, y) => x - y).every((p, i) => p === i)) return undefined;
  return { dims: perm.map((p) => dims[p]), strides: perm.map((p) => strides[p]) };
}

/** Element offset of batch matrix `index` (row-major over dims[0..r-3]) of a strided view. */
function batchOffset(v: { dims: number[]; strides: number[] }, index: number): number {
  let off = 0;
  for (let d = v.dims.length - 3; d >= 0; d--) {
    off += (index % v.dims[d]) * v.strides[d];
    index = Math.floor(index / v.dims[d]);
  }
  return off;
}

interface PermutedPlan {
  readonly key: string;
  readonly M: number;
  readonly K: number;
  readonly N: number;
  readonly outDims: readonly number[];
  readonly aOffsets: Int32Array;
  readonly bOffsets: Int32Array;
  readonly lda: number;
  readonly ldb: number;
  readonly trans: boolean;
}

/**
 * lowbit.PermutedMatMul: A' = Transpose(A, perm_a) must keep A's last axis last (rows lda apart); B' = Transpose(B,
 * perm_b) has B's last axis last (rows of B', ldb apart) or next to last (rows of B'^T). Each batch matrix at its
 * offset, all in one batched call: the same kernel and summation order as the unfused MatMul of the same backend, so
 * the same bits. Other layouts, ranks below 2 and errors: the reference.
 */
function createPermutedMatMul(ctx: NativeContext, node: KernelNode, k: NativeKernelInfo): NativeInstance {
  const ref = lazyReference(ctx, 'lowbit.PermutedMatMul:f32', node);
  const perms = matmulPerms(node);
  let plan: PermutedPlan | null | undefined;
  let g: NativeFGemmBatch | undefined;
  const planFor = (aDims: readonly number[], bDims: readonly number[]): PermutedPlan | null => {
    const key = `${aDims.join()};${bDims.join()}`;
    if (plan !== undefined && (plan === null ? false : plan.key === key)) return plan;
    const va = permutedView(aDims, perms.a);
    const vb = permutedView(bDims, perms.b);
    if (!va || !vb || va.dims.length < 2 || vb.dims.length < 2) return null;
    const r = va.dims.length, rb = vb.dims.length;
    const [M, K] = [va.dims[r - 2], va.dims[r - 1]];
    const N = vb.dims[rb - 1];
    if (vb.dims[rb - 2] !== K || M * K * N === 0) return null;
    if (va.strides[r - 1] !== 1 && K > 1) return null;
    const trans = vb.strides[rb - 1] !== 1 && N > 1;
    if (trans && vb.strides[rb - 2] !== 1 && K > 1) return null;
    const lda = M > 1 ? va.strides[r - 2] : K;
    const ldb = trans ? (N > 1 ? vb.strides[rb - 1] : K) : K > 1 ? vb.strides[rb - 2] : N;
    if (lda < K || ldb < (trans ? K : N)) return null;
    const p = planMatMul(node, va.dims, vb.dims);
    const aOffsets = new Int32Array(new ArrayBuffer(4 * Math.max(p.batch, 1)), 0, p.batch);
    const bOffsets = new Int32Array(new ArrayBuffer(4 * Math.max(p.batch, 1)), 0, p.batch);
    for (let t = 0; t < p.batch; t++) {
      aOffsets[t] = batchOffset(va, p.aIndex[t]);
      bOffsets[t] = batchOffset(vb, p.bIndex[t]);
    }
    plan = { key, M, K, N, outDims: p.outDims, aOffsets, bOffsets, lda, ldb, trans };
    return plan;
  };
  return {
    get referenceRuns() {
      return ref.calls;
    },
    run(inputs, rctx) {
      const a = inputs[0];
      const b = inputs[1];
      if (!isF32(a) || !isF32(b) || !offsetsFit(a.data.length, b.data.length)) return ref().run(inputs, rctx);
      const p = planFor(a.dims, b.dims);
      if (!p) return ref().run(inputs, rctx);
      const y = rctx.alloc('float32', p.outDims);
      g ??= new ctx.addon.FGemmBatch(k.name, ctx.threads);
      g.run(ctx.pool(), a.data, p.aOffsets, p.lda, b.data, p.bOffsets, p.ldb, p.trans, p.M, p.K, p.N, y.data);
      return [y];
    },
  };
}

function createGemm(ctx: NativeContext, node: KernelNode, k: NativeKernelInfo): NativeInstance {
  const ref = lazyReference(ctx, 'Gemm:f32', node);
  const alpha = num(node, 'alpha', 1);
  const beta = num(node, 'beta', 1);
  const transB = num(node, 'transB', 0) !== 0;
  const transA = num(node, 'transA', 0) !== 0;
  const b0 = constantB(node);
  const N = b0 ? (transB ? b0.dims[0] : b0.dims[1]) : 0;
  const K = b0 ? (transB ? b0.dims[1] : b0.dims[0]) : 0;
  let g: NativeFGemm | undefined = b0 && !transA ? new ctx.addon.FGemm(k.name, b0.data, K, N, transB, ctx.threads) : undefined;
  // beta * C as a per-column bias, when C is a constant scalar / [N] / [1, N] and alpha = 1.
  const c0 = node.constants?.get(2);
  let bias: Float32Array | null = null;
  if (alpha === 1 && isF32(c0) && (c0.data.length === 1 || (c0.data.length === N && c0.dims[c0.dims.length - 1] === N && c0.dims.length <= 2))) {
    bias = new Float32Array(N);
    for (let j = 0; j < N; j++) bias[j] = Math.fround(beta * c0.data[c0.data.length === 1 ? 0 : j]);
  }
  return {
    get referenceRuns() {
      return ref.calls;
    },
    run(inputs, rctx) {
      const a = inputs[0];
      const b = inputs[1];
      const c = inputs[2] ?? null;
      if (!g || !b0 || !isF32(a) || !isF32(b) || a.dims.length !== 2 || a.dims[1] !== K || b.dims.join() !== b0.dims.join()) return ref().run(inputs, rctx);
      const M = a.dims[0];
      if (c && (!isF32(c) || c.dims.length > 2 || !c.dims.every((d, i) => d === 1 || d === [M, N][2 - c.dims.length + i]))) return ref().run(inputs, rctx);
      const y = rctx.alloc('float32', [M, N]);
      const fused = bias !== null && c === c0;
      g.run(ctx.pool(), a.data, M, fused ? bias : null, y.data);
      if (!fused && (alpha !== 1 || c)) applyAlphaBeta(y.data, M, N, alpha, beta, c);
      return [y];
    },
    dispose() {
      g?.dispose();
      g = undefined;
    },
  };
}

/** y = fround(fround(alpha * y) + fround(beta * c)) with C broadcast unidirectionally to [M, N]. */
function applyAlphaBeta(y: Float32Array, M: number, N: number, alpha: number, beta: number, c: Tensor<'float32'> | null): void {
  const cd = c ? (c.dims.length === 2 ? c.dims : c.dims.length === 1 ? [1, c.dims[0]] : [1, 1]) : [1, 1];
  const rs = cd[0] === 1 ? 0 : cd[1];
  const cs = cd[1] === 1 ? 0 : 1;
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let v = Math.fround(alpha * y[i * N + j]);
      if (c) v = Math.fround(v + Math.fround(beta * c.data[i * rs + j * cs]));
      y[i * N + j] = v;
    }
}
