/**
 * Native MatMulInteger variants (`MatMulInteger:{u8,i8}x{u8,i8}->i32`), one per int8 GEMM kernel this CPU runs.
 *
 * `Y = sum_k (A[., i, k] - a_zero_point[i]) * (B[k, j] - b_zero_point[j])` in int32 with wrap-around, exactly the
 * reference result (see `MatMulInteger` in @lowbit/kernels). B must be a constant 2-D initializer: it is packed once at
 * create (the `supports` check declines other nodes); A may have any batch dims. Zero points: scalar or per-row of A
 * (M values) / per-column of B (N values). Anything else (shape or dtype errors, broadcast B) runs the reference, which
 * also reports the error.
 *
 * AVX2 without VNNI: the `native-avx2` variant takes the vpmaddubsw fast path only when the packed weights are 7-bit
 * (max - min <= 127, e.g. reduce-range int8 in [-64, 63]); otherwise its exact split path. `instance.path` says which.
 */
import { DTYPE_SHORT, type Isa, type KernelInstance, type KernelNode, type KernelVariant, type Tensor } from '@lowbit/kernels';
import type { NativeKernelInfo, NativeQGemm, NativeQGemmBatch } from './addon.js';
import { BatchPlans, offsetsFit } from './batched.js';
import { lazyReference, splitA, type NativeContext, type NativeInstance } from './context.js';

const Q8 = ['uint8', 'int8'] as const;
type Q8 = (typeof Q8)[number];
const isQ8 = (t: Tensor | null | undefined): t is Tensor<Q8> => !!t && (t.dtype === 'uint8' || t.dtype === 'int8');

/** A native MatMulInteger instance; `path` names the C++ kernel that runs (e.g. `avx2-7bit` or `avx2`). */
export interface NativeQInstance extends NativeInstance {
  readonly path: string;
  /** The packed constant B (undefined once disposed): lowbit.DynamicQMatMul runs its fused call on it. */
  readonly gemm: NativeQGemm | undefined;
}

function constantB(node: KernelNode): Tensor<Q8> | undefined {
  const b = node.constants?.get(1);
  return isQ8(b) && b.dims.length === 2 ? b : undefined;
}

export function matmulIntegerVariants(ctx: NativeContext, kernels: readonly NativeKernelInfo[]): KernelVariant[] {
  const fast7 = kernels.find((k) => k.name === 'avx2-7bit');
  const out: KernelVariant[] = [];
  for (const k of kernels) {
    if (k.needs7bit) continue; // merged into its exact sibling below
    const fast = k.name === 'avx2' ? fast7 : undefined;
    for (const ta of Q8)
      for (const tb of Q8) {
        const key = `MatMulInteger:${DTYPE_SHORT[ta]}x${DTYPE_SHORT[tb]}->i32`;
        out.push({
          key,
          name: `native-${k.name}`,
          isa: k.isa as Isa,
          tolerance: 'exact',
          tile: 32,
          supports: (node) => constantB(node) !== undefined,
          create: (node) => createQ(ctx, key, node, k, fast),
        });
        // Activations x activations (attention): all batch matrices in one native call; zero points per tensor.
        out.push({ key, name: `native-${k.name}-dynamic-b`, isa: k.isa as Isa, tolerance: 'exact', tile: 32, supports: (node) => constantB(node) === undefined, create: (node) => createDynamicB(ctx, key, node, k) });
      }
  }
  return out;
}

export function pack(ctx: NativeContext, b: Tensor<Q8>, k: NativeKernelInfo, fast: NativeKernelInfo | undefined): { g: NativeQGemm; path: string } {
  const [K, N] = b.dims;
  if (fast) {
    const g = new ctx.addon.QGemm('avx2', b.data, K, N, ctx.threads);
    if (!g.sevenBit) return { g, path: 'avx2' };
    g.dispose();
    return { g: new ctx.addon.QGemm(fast.name, b.data, K, N, ctx.threads), path: fast.name };
  }
  return { g: new ctx.addon.QGemm(k.name, b.data, K, N, ctx.threads), path: k.name };
}

function createQ(ctx: NativeContext, key: string, node: KernelNode, k: NativeKernelInfo, fast: NativeKernelInfo | undefined): NativeQInstance {
  const ref = lazyReference(ctx, key, node);
  const b0 = constantB(node);
  let packed = b0 ? pack(ctx, b0, k, fast) : undefined;
  return {
    get referenceRuns() {
      return ref.calls;
    },
    get path() {
      return packed?.path ?? k.name;
    },
    get gemm() {
      return packed?.g;
    },
    run(inputs, rctx) {
      const a = inputs[0];
      const b = inputs[1];
      const za = inputs[2] ?? null;
      const zb = inputs[3] ?? null;
      if (!isQ8(a) || !isQ8(b) || b.dims.length !== 2 || a.dims.length < 1) return ref().run(inputs, rctx);
      const [K, N] = b.dims;
      const s = splitA(a.dims);
      const zaOk = !za || (za.dtype === a.dtype && (za.data.length === 1 || za.data.length === s.M));
      const zbOk = !zb || (zb.dtype === b.dtype && (zb.data.length === 1 || zb.data.length === N));
      if (s.K !== K || !zaOk || !zbOk) return ref().run(inputs, rctx);
      let g: NativeQGemm;
      let once = false;
      if (packed && b0 && b0.dims[0] === K && b0.dims[1] === N && b0.dtype === b.dtype) {
        g = packed.g;
      } else {
        g = pack(ctx, b, k, fast).g; // B is not the constant: pack for this call
        once = true;
      }
      const y = rctx.alloc('int32', a.dims.length === 1 ? [N] : [...s.lead, s.M, N]);
      const zaData = za ? (za.data as Uint8Array | Int8Array) : null;
      const zbData = zb ? (zb.data as Uint8Array | Int8Array) : null;
      try {
        if (zaData && zaData.length > 1 && s.batch > 1) {
          for (let t = 0; t < s.batch; t++) {
            g.run(ctx.pool(), a.data.subarray(t * s.M * K, (t + 1) * s.M * K), s.M, zaData, zbData, y.data.subarray(t * s.M * N, (t + 1) * s.M * N));
          }
        } else {
          g.run(ctx.pool(), a.data, s.batch * s.M, zaData, zbData, y.data);
        }
      } finally {
        if (once) g.dispose();
      }
      return [y];
    },
    dispose() {
      packed?.g.dispose();
      packed = undefined;
    },
  };
}

function createDynamicB(ctx: NativeContext, key: string, node: KernelNode, k: NativeKernelInfo): NativeInstance {
  const ref = lazyReference(ctx, key, node);
  const plans = new BatchPlans();
  let g: NativeQGemmBatch | undefined;
  return {
    get referenceRuns() {
      return ref.calls;
    },
    run(inputs, rctx) {
      const [a, b, za, zb] = [inputs[0], inputs[1], inputs[2] ?? null, inputs[3] ?? null];
      if (!isQ8(a) || !isQ8(b) || a.dims.length < 2 || b.dims.length < 2 || a.dims[a.dims.length - 1] !== b.dims[b.dims.length - 2] || !offsetsFit(a.data.length, b.data.length)) {
        return ref().run(inputs, rctx);
      }
      if ((za && (za.dtype !== a.dtype || za.data.length !== 1)) || (zb && (zb.dtype !== b.dtype || zb.data.length !== 1))) return ref().run(inputs, rctx);
      const p = plans.plan(node, a.dims, b.dims);
      const { M, K, N } = p;
      if (M * N * K === 0) return ref().run(inputs, rctx);
      const y = rctx.alloc('int32', p.outDims);
      // Every batch matrix in one call: each distinct B packed once, the workspace kept between runs.
      g ??= new ctx.addon.QGemmBatch(k.name, ctx.threads);
      g.run(ctx.pool(), a.data, p.aOffsets, K, b.data, p.bOffsets, N, false, M, K, N, za ? Number(za.data[0]) : 0, zb ? Number(zb.data[0]) : 0, y.data);
      return [y];
    },
  };
}
