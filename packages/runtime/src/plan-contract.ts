/**
 * The compiled plan of a graph and the contract of the ops the runtime runs itself (builtins: control flow,
 * Constant, sequences, model-local functions). One file because the two are mutually recursive: a plan's steps hold
 * builtin instances, and a builtin instance holds the plans of its subgraphs.
 */
import type { AttrValue, DType, KernelInstance, KernelNode, KernelRegistry, KernelVariant, ResolvePolicy, Tensor } from '@lowbit/kernels';
import type { Dim, Graph, Node, ValueInfo } from '@lowbit/onnx-ir';
import type { BufferPool } from './buffer-pool.js';
import type { Value } from './values.js';

/** What every plan of one session shares. */
export interface PlanContext {
  readonly registry: KernelRegistry;
  readonly policy: ResolvePolicy;
  /** Imported opset version per domain ('' for the default domain). */
  readonly opsets: ReadonlyMap<string, number>;
  readonly builtins: ReadonlyMap<string, BuiltinOp>;
  /** Model-local functions by `functionKey(domain, name)`, as builtins. */
  readonly functions?: ReadonlyMap<string, BuiltinOp>;
}

/** A kernel instance as a binding holds it. */
export interface BoundKernel {
  readonly variant: KernelVariant;
  readonly instance: KernelInstance;
  /**
   * `instance.run`, read once when the instance is made: the executor calls it on the instance, with no property load
   * per run (a backend's instance may be a dictionary-mode object, whose loads optimized code cannot inline).
   */
  readonly run: KernelInstance['run'];
}

/** A node's kernel: bound at compile time when its input dtypes are known, else at first run. */
export interface KernelBinding {
  readonly node: KernelNode;
  /** Instances by kernel key (the compile-time one, plus any key met at run time with other input dtypes). */
  readonly instances: Map<string, BoundKernel>;
  /** The key chosen at compile time, if the input dtypes were known. */
  readonly key: string | undefined;
  /** The instance of `key` (what a run whose input dtypes are the planned ones takes, without a lookup). */
  readonly primary: BoundKernel | undefined;
  /** `primary`'s variant writes every element it allocates (its outputs need no zero fill). */
  readonly primaryDirtyOk: boolean;
  /**
   * The executor's argument array for this step's kernel (one per input slot), reused run after run so a steady-state
   * run allocates none; taken (set to undefined) while a run of the step is in progress and emptied after it.
   */
  args?: (Tensor | null)[];
}

export interface Step {
  readonly node: Node;
  readonly nodePath: readonly string[];
  /** Slot per node input; -1 for an omitted optional input. */
  readonly inputs: readonly number[];
  /** Slot per node output; -1 for an omitted output. */
  readonly outputs: readonly number[];
  /** Slots cleared after this step (their last use). */
  readonly release: readonly number[];
  readonly kernel?: KernelBinding;
  readonly builtin?: BuiltinInstance;
}

export interface Plan {
  readonly graph: Graph;
  /** Node names from the outermost graph down to the node owning this subgraph (empty for the main graph). */
  readonly nodePath: readonly string[];
  readonly slotCount: number;
  readonly slotOf: ReadonlyMap<string, number>;
  /** Value name per slot. */
  readonly names: readonly string[];
  /** Initializers, converted once, and the outputs of Constant nodes (built once at creation; see `folded`). */
  readonly constants: readonly (readonly [number, Tensor])[];
  /**
   * Slots of `constants` that are Constant node outputs: no step runs for those nodes, and value hooks are told of
   * these values when a run starts (as produced values, not as initializers).
   */
  readonly folded: ReadonlySet<number>;
  /** Graph inputs a caller must (or may, for inputs with an initializer default) provide, in graph order. */
  readonly inputs: readonly ValueInfo[];
  readonly inputSlots: readonly number[];
  readonly outputSlots: readonly number[];
  /** Slots filled from enclosing scopes when a subgraph starts: [slot, name]. */
  readonly captures: readonly (readonly [number, string])[];
  readonly steps: readonly Step[];
  /** Slots never read by any step and not outputs (cleared as soon as the inputs are bound). */
  readonly unusedAtStart: readonly number[];
  /** Best-known dtype per value name. */
  readonly types: ReadonlyMap<string, DType | undefined>;
  /** Statically inferred dims per value (main graph only; onnx-ir's inferShapes). */
  readonly shapes: ReadonlyMap<string, readonly Dim[]>;
}

/**
 * Looks up a name in the enclosing scopes while compiling a subgraph: its dtype, and its tensor when the value is
 * fixed for the session (an initializer or Constant output of an enclosing graph), so kernels in the subgraph get it
 * in `KernelNode.constants` too.
 */
export type OuterScope = (name: string) => { readonly type: DType | undefined; readonly constant?: Tensor } | undefined;

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
