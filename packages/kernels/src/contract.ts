import type { DataOf, DType, Tensor } from './tensor.js';

import type { Isa } from './isa.js';

export type { Isa } from './isa.js';

/**
 * How close an optimized variant must stay to the scalar reference, element by element (checked by the equivalence
 * harness of @lowbit/testing). In every kind NaN must meet NaN (any payload), and non-float outputs compare exactly.
 *
 * - `'exact'`: identical; for floats bitwise, so -0 differs from 0. Integer kernels always declare this.
 * - `{ ulp }`: at most `ulp` representable values of the output dtype apart (across zero too); infinities must match.
 *   For element-wise float code whose only difference is e.g. a polynomial approximation.
 * - `{ rtol, atol }`: `|out - ref| <= atol + rtol * |ref|`.
 * - `{ sumAbs }`: for sums of products accumulated in another order than the reference (blocked, SIMD or FMA GEMM and
 *   Conv): `|out - ref| <= sumAbs * eps * S`, with `eps` = 2^-23 (float32 machine epsilon) and `S` = sum_k |a_k * b_k|
 *   over the products summed into that element (for Gemm, `|alpha| * S + |beta * c|`). A relative bound fails here
 *   because cancellation makes `ref` small while the rounding error scales with S. Infinities must match. Two float32
 *   summation orders of K terms differ by at most about `K * eps * S` (each is within `K * 2^-24 * S` of the exact
 *   sum), so `sumAbs: K_max` covers any order up to K_max terms; blocked orders need about `block + K / block`.
 *   Example: a = [1e4, -1e4, 1], b = [1, 1, 1] -> ref 1, S = 20001, and `{ sumAbs: 4 }` accepts |out - 1| <= 0.0095.
 *   The harness computes S for MatMul and Gemm; for other ops the test passes it (option `sumAbs`).
 */
export type Tolerance =
  | 'exact'
  | { readonly ulp: number }
  | { readonly rtol: number; readonly atol: number }
  | { readonly sumAbs: number };

/**
 * A variant's blocking: one size for every dimension, or per dimension of a GEMM-shaped kernel (`m` rows of the
 * output, `n` columns, `k` the reduction). The equivalence harness sweeps sizes around each.
 */
export type Tile = number | { readonly m?: number; readonly n?: number; readonly k?: number };

/**
 * Plain attribute values as kernels see them (the runtime converts from the IR):
 * int -> number (bigint when outside the safe range), ints -> number[], float -> number, string -> string,
 * tensor -> Tensor, graph -> an opaque subgraph handle the runtime understands (kernels never look inside).
 */
export type AttrValue = number | bigint | string | Tensor | readonly number[] | readonly bigint[] | readonly string[] | readonly Tensor[] | { readonly subgraph: unknown };

export interface KernelNode {
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  /** The opset version of `domain` the model imports; kernels branch on it where an op's signature changed. */
  readonly opset: number;
  readonly attrs: ReadonlyMap<string, AttrValue>;
  /** Input dtypes (null for an omitted optional input). */
  readonly inputTypes: readonly (DType | null)[];
  /** How many outputs the node declares (omitted trailing outputs not counted; omitted middle ones are ''). */
  readonly outputCount: number;
  /**
   * Inputs whose value is fixed for the life of the session (initializers, Constant outputs), by input index. A
   * variant may pre-pack them in `create` (e.g. a GEMM's B); `run` still receives the same tensors as inputs.
   * Absent when the kernel is created outside a session (tests may pass it to exercise packing).
   */
  readonly constants?: ReadonlyMap<number, Tensor>;
  /**
   * Static input shapes where the plan knows them: one entry per input, `undefined` when the rank is unknown, `null`
   * for a dimension that is only known at run time. Advisory: `run` must still check the actual shapes.
   */
  readonly inputShapes?: readonly (readonly (number | null)[] | undefined)[];
}

/** What the runtime lends a kernel while it runs: output buffers come from here so the runtime can reuse memory. */
export interface RunContext {
  /**
   * A tensor of `dims` to write into. Contents are unspecified (may be a reused buffer): write every element. The
   * buffer belongs to the runtime (it may lie in a backend's `Arena`) and is recycled once the run no longer holds it:
   * a kernel must not keep it beyond the `run` call that allocated it (scratch included).
   */
  alloc<D extends DType>(dtype: D, dims: readonly number[]): Tensor<D>;
}

/** A kernel bound to one node: attributes are parsed once at session creation. */
export interface KernelInstance {
  /**
   * Inputs in node order (null = omitted optional). Returns one tensor per declared output (null = omitted).
   * Never modifies an input. Outputs are allocated through `ctx.alloc`, or may be an input returned as is
   * (Identity-like ops) or a view sharing an input's storage (Reshape-like ops).
   */
  run(inputs: readonly (Tensor | null)[], ctx: RunContext): (Tensor | null)[];
  /** Frees what `create` acquired (packed weights in a WebAssembly or native heap). Called by `Session.release()`. */
  dispose?(): void;
}

export interface KernelVariant {
  /** `OpType:sig`, e.g. `Conv:f32`, `MatMulInteger:u8xi8->i32`, `Reshape:*`. Domain prefix for non-ONNX ops: `com.microsoft.MatMulNBits:f32`. */
  readonly key: string;
  /** Unique per key, e.g. `scalar`, `wasm-simd128-4x4`. */
  readonly name: string;
  readonly isa: Isa;
  readonly tolerance: Tolerance;
  /** The blocking the variant is tuned for (drives the equivalence harness's size classes, per dimension if given so). */
  readonly tile?: Tile;
  /**
   * True when `run` writes every element of every tensor it takes from `ctx.alloc` (outputs and scratch) before
   * reading it or returning it, as the RunContext contract asks. The runtime then hands this variant reused buffers as
   * they are, without zero-filling them first; variants without the flag (the scalar reference kernels, some of which
   * accumulate into fresh buffers) get zeroed ones. The equivalence harness of @lowbit/testing runs every variant on
   * poisoned output buffers, so a variant that leaves an element unwritten fails there. A variant that hands some
   * inputs to a reference kernel must give that kernel zeroed buffers (see `zeroingContext`).
   */
  readonly writesAllOutputs?: boolean;
  /**
   * Whether this variant runs `node` (attributes, constants, static shapes). A variant that declines (e.g. a relaxed-
   * SIMD GEMM whose constant weights are not 7-bit, or a Conv variant without a kernel for its group count) is passed
   * over and the registry tries the next best variant, then the reference. Absent: supports every node of its key.
   */
  supports?(node: KernelNode): boolean;
  /** Throws NodeError/KernelError for attribute values the kernel can't run (checked at session creation). */
  create(node: KernelNode): KernelInstance;
}

/**
 * Memory a backend lends the runtime for tensors, so its kernels read inputs and write outputs in place (e.g. views of
 * a WebAssembly module's linear memory) instead of copying across a boundary on every call. The runtime's buffer pool
 * takes every intermediate buffer from here when an arena is present, and uses ordinary JS memory when `alloc`
 * declines. Results handed to the caller are copied out of the arena first.
 *
 * Rules: a view returned by `alloc` must stay valid (not detached, not moved) until it is passed to `free`, so a
 * WebAssembly arena must not grow its memory while views are out, or must reserve its region up front. `free` receives
 * exactly the view `alloc` returned, once.
 */
export interface Arena {
  /**
   * A zero-filled view of `n` elements of `dtype` (the dtype's storage class, `n` > 0), or `undefined` when the arena
   * cannot (full, or a dtype it does not hold); the runtime then uses JS memory.
   */
  alloc<D extends Exclude<DType, 'string'>>(dtype: D, n: number): DataOf[D] | undefined;
  /** Gives back a view `alloc` returned. */
  free(view: DataOf[Exclude<DType, 'string'>]): void;
}

/** Options a runtime passes when it initialises a backend. */
export interface BackendInitOptions {
  /** Intra-op threads the backend may use (default: the backend's choice, usually the physical cores). */
  readonly threads?: number;
}

/**
 * A set of optimized kernel variants that must be loaded before use (a WebAssembly module, a native addon). The runtime
 * awaits `init`, then registers `variants()` next to the reference kernels and lets `resolve` pick among the ISAs in
 * `isas`. A backend that cannot load (no addon for this platform, an engine without SIMD) does not throw from `init`:
 * it reports `ready: false` and says why in `diagnostics`, and the runtime falls back.
 */
export interface KernelBackend {
  /** Stable name: `js`, `wasm`, `native`. */
  readonly name: string;
  /** True once `init` succeeded. */
  readonly ready: boolean;
  /** ISAs this backend detected and can run on this machine (valid after `init`). */
  readonly isas: readonly Isa[];
  /** Loads and initialises (idempotent; safe to call concurrently). Never rejects for an unsupported machine. */
  init(options?: BackendInitOptions): Promise<void>;
  /** The variants to register (after `init`; empty when not ready). Only variants for ISAs in `isas`. */
  variants(): readonly KernelVariant[];
  /** What happened while loading: chosen ISAs, why something was unavailable. */
  readonly diagnostics: readonly string[];
  /** Threads in use after `init` (1 for single-threaded backends). */
  readonly threads: number;
  /**
   * Memory the session should put intermediate tensors in (valid after `init`, when ready). The session uses the
   * arena of its best ready backend unless `SessionOptions.arena` names another.
   */
  readonly arena?: Arena;
  /** Releases the backend's own resources (thread pool, memory). The backend is unusable afterwards. */
  dispose?(): void;
}
