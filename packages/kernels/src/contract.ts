import type { DType, Tensor } from './tensor.js';

/** Instruction sets a kernel variant can target, best last within a family. */
export type Isa = 'scalar' | 'wasm-simd128' | 'wasm-relaxed-simd' | 'avx2' | 'avx-vnni' | 'avx512-vnni' | 'neon' | 'neon-dot' | 'scalar-c';

/** How close an optimized variant must stay to the scalar reference. */
export type Tolerance = 'exact' | { readonly ulp: number } | { readonly rtol: number; readonly atol: number };

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
}

/** What the runtime lends a kernel while it runs: output buffers come from here so the runtime can reuse memory. */
export interface RunContext {
  /** A tensor of `dims` to write into. Contents are unspecified (may be a reused buffer): write every element. */
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
}

export interface KernelVariant {
  /** `OpType:sig`, e.g. `Conv:f32`, `MatMulInteger:u8xi8->i32`, `Reshape:*`. Domain prefix for non-ONNX ops: `com.microsoft.MatMulNBits:f32`. */
  readonly key: string;
  /** Unique per key, e.g. `scalar`, `wasm-simd128-4x4`. */
  readonly name: string;
  readonly isa: Isa;
  readonly tolerance: Tolerance;
  /** The blocking size the variant is tuned for (drives the equivalence harness's size classes). */
  readonly tile?: number;
  /** Throws NodeError/KernelError for attribute values the kernel can't run (checked at session creation). */
  create(node: KernelNode): KernelInstance;
}
