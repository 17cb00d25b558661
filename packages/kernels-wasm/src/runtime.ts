import type { KernelInstance, KernelNode, KernelRegistry, RunContext, Tensor } from '@lowbit/kernels';
import { keyFor, zeroingContext } from '@lowbit/kernels';
import type { KernelExports, RelaxedExports } from './exports.js';
import type { WasmHeap } from './heap.js';

/** One instantiated kernel module with its heap; every variant of a backend shares it. */
export interface WasmRuntime {
  readonly ex: KernelExports;
  /** The relaxed-SIMD exports when the relaxed module was validated and loaded (the same instance as `ex`). */
  readonly relaxed: RelaxedExports | undefined;
  /** Whether the relaxed GEMM may use the fused dot-add (false where the engine miscomputes it, e.g. Node 20). */
  readonly fusedDotAdd: boolean;
  readonly heap: WasmHeap;
  /** Scalar reference kernels, for the cases a variant does not handle (and for their error messages). */
  readonly reference: KernelRegistry;
}

/**
 * The reference kernel for `node`, created on first use: variants hand it the calls whose shapes or parameters they
 * do not cover (batched B, unusual zero-point shapes, bad inputs), so results and errors stay the reference's.
 */
export function lazyReference(rt: WasmRuntime, node: KernelNode): (inputs: readonly (Tensor | null)[], ctx: RunContext) => (Tensor | null)[] {
  let inst: KernelInstance | undefined;
  return (inputs, ctx) => {
    inst ??= rt.reference.resolve(keyFor(node), {}, node).create(node);
    // wasm variants declare writesAllOutputs (reused buffers come unzeroed); the reference expects zeroed ones.
    return inst.run(inputs, zeroingContext(ctx));
  };
}

/** The scratch blocks of the calls in progress on one heap, as a stack (inner calls release theirs first). */
class ScratchStack {
  /** Addresses of the blocks owned by the calls in progress, `n` of them (the array never shrinks). */
  readonly owned: number[] = [];
  n = 0;
  readonly alloc: (bytes: number) => number;
  readonly place: (src: ArrayBufferView) => number;
  readonly out: (dst: ArrayBufferView) => number;
  constructor(heap: WasmHeap) {
    // Scratch comes from the top of the heap and is freed in reverse order: each free just lowers the top.
    this.alloc = (bytes) => {
      const p = heap.allocTop(bytes);
      this.owned[this.n++] = p;
      return p;
    };
    this.place = (src) => {
      if (heap.holds(src)) return src.byteOffset;
      const p = heap.allocTop(src.byteLength);
      if (src instanceof Float32Array) heap.f32().set(src, p >> 2);
      else heap.u8().set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength), p);
      this.owned[this.n++] = p;
      return p;
    };
    this.out = (dst) => (heap.holds(dst) ? dst.byteOffset : this.alloc(dst.byteLength));
  }
}

const stacks = new WeakMap<WasmHeap, ScratchStack>();

/**
 * Runs `body` with a scratch allocator whose blocks are all freed afterwards. `place` gives the address of a view of
 * wasm memory as is, or of a scratch copy; `out` the address to write an output at: the output's own when it is a
 * view of wasm memory (an arena buffer), else a scratch block (then `copyOut`). One allocator per heap, reused by
 * every call (nothing allocated per call).
 */
export function withScratch<T>(rt: WasmRuntime, body: (alloc: (bytes: number) => number, place: (src: ArrayBufferView) => number, out: (dst: ArrayBufferView) => number) => T): T {
  let s = stacks.get(rt.heap);
  if (!s) {
    s = new ScratchStack(rt.heap);
    stacks.set(rt.heap, s);
  }
  const owned = s.owned;
  const mark = s.n;
  try {
    return body(s.alloc, s.place, s.out);
  } finally {
    for (let i = s.n - 1; i >= mark; i--) rt.heap.free(owned[i]);
    s.n = mark;
  }
}

/**
 * Finishes an output written at `ptr` (from withScratch's `out`): copies it into `dst` unless `dst` is that very
 * memory (an arena view the kernel wrote in place).
 */
export function copyOut(rt: WasmRuntime, dst: Float32Array | Int32Array | Uint8Array | Int8Array, ptr: number): void {
  if (rt.heap.holds(dst) && dst.byteOffset === ptr) return;
  if (dst instanceof Float32Array) dst.set(rt.heap.f32().subarray(ptr >> 2, (ptr >> 2) + dst.length));
  else if (dst instanceof Int32Array) dst.set(rt.heap.i32().subarray(ptr >> 2, (ptr >> 2) + dst.length));
  else dst.set(new Uint8Array(rt.heap.u8().buffer, ptr, dst.length) as never);
}

/** Product of dims. */
export function prod(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}
