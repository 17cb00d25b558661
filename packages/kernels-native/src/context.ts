/**
 * What every native variant of one backend instance shares: the addon, the backend's thread pool and the reference
 * kernels that handle (and report errors for) the inputs a native kernel does not take.
 */
import { zeroingContext, type KernelInstance, type KernelNode, type KernelVariant, type RunContext, type Tensor } from '@lowbit/kernels';
import type { NativeAddon, NativePool } from './addon.js';

export interface NativeContext {
  readonly addon: NativeAddon;
  /** The backend's pool (null with one thread). Read at run time: the backend owns it. */
  pool(): NativePool | null;
  readonly threads: number;
  /** The scalar reference variant of `key` (its `Op:*` kernel). */
  reference(key: string): KernelVariant;
}

/** The reference kernel a native instance hands the inputs it does not take, created on first use. */
export interface Fallback {
  (): KernelInstance;
  /** How many runs went to the reference (tests check the native path really ran). */
  readonly calls: number;
}

export function lazyReference(ctx: NativeContext, key: string, node: KernelNode): Fallback {
  let inst: KernelInstance | undefined;
  let calls = 0;
  // Native variants declare writesAllOutputs (reused buffers come unzeroed); the reference expects zeroed ones.
  const f = () => {
    calls++;
    if (!inst) {
      const r = ctx.reference(key).create(node);
      inst = { run: (inputs, rctx) => r.run(inputs, zeroingContext(rctx)), dispose: r.dispose?.bind(r) };
    }
    return inst;
  };
  return Object.defineProperty(f, 'calls', { get: () => calls }) as Fallback;
}

/** A native kernel instance: `referenceRuns` counts the runs it handed to the reference kernel. */
export interface NativeInstance extends KernelInstance {
  readonly referenceRuns: number;
}

/**
 * A stateless native instance: `run` returns the outputs, or undefined to hand the call to the reference kernel
 * (created on first use, counted in `referenceRuns`).
 */
export function nativeInstance(ctx: NativeContext, key: string, node: KernelNode, run: (inputs: readonly (Tensor | null)[], rctx: RunContext) => (Tensor | null)[] | undefined): NativeInstance {
  return new StatelessInstance(run, lazyReference(ctx, key, node));
}

/**
 * `nativeInstance`'s instances: a class, so that every one has the same fast-properties shape (an object literal
 * with a getter is built in dictionary mode, and the executor's `instance.run` load then looks the name up in a
 * hash table on every call).
 */
class StatelessInstance implements NativeInstance {
  readonly #run: (inputs: readonly (Tensor | null)[], rctx: RunContext) => (Tensor | null)[] | undefined;
  readonly #ref: Fallback;
  constructor(run: (inputs: readonly (Tensor | null)[], rctx: RunContext) => (Tensor | null)[] | undefined, ref: Fallback) {
    this.#run = run;
    this.#ref = ref;
  }
  get referenceRuns(): number {
    return this.#ref.calls;
  }
  run(inputs: readonly (Tensor | null)[], rctx: RunContext): (Tensor | null)[] {
    return this.#run(inputs, rctx) ?? this.#ref().run(inputs, rctx);
  }
}

/** The leading dims of a matmul operand A with its last two as [M, K] (a 1-D A is [1, K]). */
export function splitA(dims: readonly number[]): { batch: number; lead: readonly number[]; M: number; K: number } {
  if (dims.length === 1) return { batch: 1, lead: [], M: 1, K: dims[0] };
  const lead = dims.slice(0, -2);
  let batch = 1;
  for (const d of lead) batch *= d;
  return { batch, lead, M: dims[dims.length - 2], K: dims[dims.length - 1] };
}

/** True when two typed arrays share memory (a fused residual must not be the output's memory). */
export function overlaps(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}
