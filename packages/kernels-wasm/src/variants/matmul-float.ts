/**
 * MatMul:f32 and Gemm:f32 on the packed SGEMM kernel (assembly/sgemm.ts): 4 x 8 register blocks (A's 4-row blocks
 * interleaved per call), B packed into 8-column panels once at create when it is a constant (else per call).
 *
 * Bit-exact with the scalar reference: each output keeps its own float32 accumulator and k runs in order with the
 * product rounded before the add, which is the reference's `acc = fround(acc + fround(a * b))`. Gemm's epilogue is
 * the reference's too: `fround(alpha * acc) + fround(beta * C)`.
 *
 * Covered: MatMul with A of any rank (leading dims flattened) and a 2-D B; Gemm with transA/transB and a C that is
 * a scalar, [N], [1, N], [M, 1] or [M, N]. Everything else runs on the reference kernel.
 */
import type { AttrValue, KernelInstance, KernelNode, KernelVariant, Tensor } from '@lowbit/kernels';
import type { WasmRuntime } from '../runtime.js';
import { copyOut, lazyReference, prod, withScratch } from '../runtime.js';

interface PackedFB {
  readonly K: number;
  readonly N: number;
  readonly ptr: number;
}

/** Packs B ([K, N], or [N, K] with `trans`) into panels in wasm memory. */
function packFB(rt: WasmRuntime, b: Tensor, trans: boolean): PackedFB {
  const [K, N] = trans ? [b.dims[1], b.dims[0]] : [b.dims[0], b.dims[1]];
  return withScratch(rt, (_alloc, place) => {
    const src = place(b.data as Float32Array);
    const ptr = rt.heap.alloc(rt.ex.spackBSize(K, N));
    rt.ex.spackB(src, K, N, trans ? 1 : N, trans ? K : 1, ptr);
    return { K, N, ptr };
  });
}

const num = (v: AttrValue | undefined, d: number): number => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : d);

function constF(node: KernelNode, i: number): Tensor | undefined {
  const t = node.constants?.get(i);
  return t && t.dtype === 'float32' && t.dims.length === 2 ? t : undefined;
}

function createMatMul(rt: WasmRuntime, node: KernelNode): KernelInstance {
  const reference = lazyReference(rt, node);
  const bc = constF(node, 1);
  let packed = bc ? packFB(rt, bc, false) : undefined;
  return {
    run(inputs, ctx) {
      const [a, b] = inputs;
      if (!a || !b || a.dtype !== 'float32' || b.dtype !== 'float32' || b.dims.length !== 2 || a.dims.length < 1) return reference(inputs, ctx);
      const K = a.dims[a.dims.length - 1];
      const [Kb, N] = b.dims;
      if (K !== Kb) return reference(inputs, ctx);
      const M = a.dims.length === 1 ? 1 : prod(a.dims.slice(0, -1));
      const y = ctx.alloc('float32', a.dims.length === 1 ? [N] : [...a.dims.slice(0, -1), N]);
      if (M === 0 || N === 0) return [y];
      const fresh = !packed || b.data !== bc?.data;
      const bp = fresh ? packFB(rt, b, false) : packed!;
      try {
        withScratch(rt, (alloc, place, out) => {
          const ap = place(a.data as Float32Array);
          const c = out(y.data);
          rt.ex.sgemm(ap, K, M, K, bp.ptr, N, c, N, 0, alloc(rt.ex.sscratchASize(M, K)));
          copyOut(rt, y.data, c);
        });
      } finally {
        if (fresh) rt.heap.free(bp.ptr);
      }
      return [y];
    },
    dispose() {
      if (packed) rt.heap.free(packed.ptr);
      packed = undefined;
    },
  };
}

/** Strides (row, column) of Gemm's C broadcast to [M, N]; undefined when C's shape is not one of the covered ones. */
function biasStrides(c: Tensor, M: number, N: number): [number, number] | undefined {
  const d = c.dims;
  if (c.data.length === 1) return [0, 0];
  if ((d.length === 1 && d[0] === N) || (d.length === 2 && d[0] === 1 && d[1] === N)) return [0, 1];
  if (d.length === 2 && d[0] === M && d[1] === 1) return [1, 0];
  if (d.length === 2 && d[0] === M && d[1] === N) return [N, 1];
  return undefined;
}

function createGemm(rt: WasmRuntime, node: KernelNode): KernelInstance {
  const reference = lazyReference(rt, node);
  const alpha = Math.fround(num(node.attrs.get('alpha'), 1));
  const beta = Math.fround(num(node.attrs.get('beta'), 1));
  const transA = num(node.attrs.get('transA'), 0) !== 0;
  const transB = num(node.attrs.get('transB'), 0) !== 0;
  const bc = constF(node, 1);
  let packed = bc ? packFB(rt, bc, transB) : undefined;
  return {
    run(inputs, ctx) {
      const [a, b, c] = inputs;
      if (!a || !b || a.dtype !== 'float32' || b.dtype !== 'float32' || a.dims.length !== 2 || b.dims.length !== 2 || (c && c.dtype !== 'float32')) return reference(inputs, ctx);
      const [M, K] = transA ? [a.dims[1], a.dims[0]] : [a.dims[0], a.dims[1]];
      const [Kb, N] = transB ? [b.dims[1], b.dims[0]] : [b.dims[0], b.dims[1]];
      if (K !== Kb) return reference(inputs, ctx);
      const strides = c ? biasStrides(c, M, N) : undefined;
      if (c && !strides) return reference(inputs, ctx);
      const y = ctx.alloc('float32', [M, N]);
      if (M === 0 || N === 0) return [y];
      const fresh = !packed || b.data !== bc?.data;
      const bp = fresh ? packFB(rt, b, transB) : packed!;
      try {
        withScratch(rt, (alloc, place) => {
          let ap: number;
          if (transA) {
            ap = alloc(M * K * 4);
            const f = rt.heap.f32();
            const src = a.data as Float32Array;
            const base = ap >> 2;
            for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) f[base + i * K + k] = src[k * M + i];
          } else ap = place(a.data as Float32Array);
          const cp = c ? place(c.data as Float32Array) : 0;
          const out = alloc(M * N * 4);
          rt.ex.sgemm(ap, K, M, K, bp.ptr, N, out, N, 0, alloc(rt.ex.sscratchASize(M, K)));
          if (alpha !== 1 || c) rt.ex.sepilogue(out, M, N, N, alpha, c ? 1 : 0, beta, cp, strides?.[0] ?? 0, strides?.[1] ?? 0);
          y.data.set(rt.heap.f32().subarray(out >> 2, (out >> 2) + M * N));
        });
      } finally {
        if (fresh) rt.heap.free(bp.ptr);
      }
      return [y];
    },
    dispose() {
      if (packed) rt.heap.free(packed.ptr);
      packed = undefined;
    },
  };
}

export function matmulFloatVariants(rt: WasmRuntime): KernelVariant[] {
  return [
    { key: 'MatMul:f32', name: 'wasm-simd128-4x8', isa: 'wasm-simd128', tolerance: 'exact', tile: 8, create: (node) => createMatMul(rt, node) },
    { key: 'Gemm:f32', name: 'wasm-simd128-4x8', isa: 'wasm-simd128', tolerance: 'exact', tile: 8, create: (node) => createGemm(rt, node) },
  ];
}
