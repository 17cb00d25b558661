/**
 * Ops the runtime runs itself instead of through a kernel: control flow (If, Loop, Scan) whose bodies are
 * subgraphs, Constant, Identity, and the sequence/optional ops whose values are not tensors.
 */
import type { AttrValue, DType, Tensor } from '@lowbit/kernels';
import type { Graph, Node } from '@lowbit/onnx-ir';
import type { BufferPool } from './buffer-pool.js';
import type { Plan } from './plan.js';
import type { Value } from './values.js';

/** What a builtin sees while the plan is compiled. */
export interface BuiltinCompileContext {
  readonly node: Node;
  readonly attrs: ReadonlyMap<string, AttrValue>;
  readonly opset: number;
  /** Best-known dtypes of the node's inputs. */
  readonly inputTypes: readonly (DType | null | undefined)[];
  /** Compiles a subgraph attribute of this node; its free names resolve in the enclosing scopes at run time. */
  compileSubgraph(attribute: string, graph: Graph): Plan;
  /** Throws a NodeError about this node. */
  fail(detail: string, extra?: { inputIndex?: number; attribute?: string; cause?: unknown }): never;
}

/** What a builtin uses while it runs. */
export interface BuiltinRunContext {
  readonly pool: BufferPool;
  /**
   * Runs a compiled subgraph with `inputs` (one per subgraph input). Outputs come back holding one transit
   * reference each in the pool: call `pool.release(t)` for each tensor once it is stored or copied.
   */
  runSubgraph(plan: Plan, inputs: readonly (Value | null)[]): Value[];
}

export interface BuiltinInstance {
  /** Subgraph plans (their captured names count as uses of this node for liveness). */
  readonly subplans: readonly Plan[];
  /** Output dtypes when known at compile time. */
  readonly outputTypes: readonly (DType | undefined)[];
  /** Outputs whose value is fixed at compile time (Constant), by output index; kernels reading them get them at create. */
  readonly constantOutputs?: readonly (Tensor | undefined)[];
  run(inputs: readonly (Value | null)[], ctx: BuiltinRunContext): (Value | null)[];
}

export interface BuiltinOp {
  readonly opType: string;
  /** Opset range of the default domain this implementation follows (inclusive). */
  readonly sinceVersion: number;
  create(ctx: BuiltinCompileContext): BuiltinInstance;
}
