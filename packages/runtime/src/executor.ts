/**
 * Runs a compiled Plan: binds inputs, constants and captured outer values to slots, runs each step's kernel or
 * builtin, clears slots after their last use (returning buffers to the pool), and calls value hooks.
 * Every failure inside a step becomes a NodeError naming the node (and its subgraph path) and op.
 */
import { keyFor, type DType, type Tensor } from '@lowbit/kernels';
import type { BufferPool } from './buffer-pool.js';
import { ResourceLimitError } from './errors.js';
import { NodeError, nodeRef } from './ir-compat.js';
import { createInstance, kernelNodeFor } from './plan.js';
import type { BuiltinRunContext, KernelBinding, Plan, PlanContext, Step } from './plan-contract.js';
import { isTensor, kindOf, releaseValue, retainValue, TensorSequence, type Value } from './values.js';

/**
 * Observes values as they are produced: the main graph's, and those produced inside the bodies of control-flow ops
 * (If branches, Loop/Scan bodies, SequenceMap), reported under their own value names (ONNX keeps them distinct
 * from the enclosing scopes'). A body that runs several times (Loop, Scan) reports its values once per iteration.
 * Function bodies are not observed (their names are local to each call).
 */
export interface ValueHooks {
  readonly onValue?: (name: string, tensor: Tensor) => void;
  /** Only these names (all when undefined). */
  readonly observe?: ReadonlySet<string>;
}

/**
 * Run only part of a plan: the steps marked in `steps` (1 = run), returning `outputSlots` instead of the graph
 * outputs; slots in `keep` are never cleared early (they are returned).
 */
export interface Selection {
  readonly steps: Uint8Array;
  readonly outputSlots: readonly number[];
  readonly keep: ReadonlySet<number>;
}

/**
 * A plan's slots during one run; `parent` is the frame of the enclosing graph (for captured names). `values` starts as
 * a copy of the plan's `constants` (slot -> tensor) template: constants are never pool-owned, so they take no
 * reference and clearing one releases nothing.
 */
class Frame {
  constructor(readonly plan: Plan, readonly parent: Frame | undefined, readonly pool: BufferPool, readonly constants: readonly (Value | undefined)[], readonly values: (Value | undefined)[]) {}

  set(slot: number, v: Value): void {
    const old = this.values[slot];
    if (old !== undefined && old !== this.constants[slot]) releaseValue(this.pool, old);
    this.values[slot] = v;
    retainValue(this.pool, v);
  }

  clear(slot: number): void {
    const v = this.values[slot];
    if (v === undefined) return;
    this.values[slot] = undefined;
    if (v !== this.constants[slot]) releaseValue(this.pool, v);
  }

  clearAll(): void {
    const values = this.values;
    for (let s = 0; s < values.length; s++) if (values[s] !== undefined) this.clear(s);
  }

  lookup(name: string): Value | undefined {
    for (let f: Frame | undefined = this; f; f = f.parent) {
      const s = f.plan.slotOf.get(name);
      if (s !== undefined && f.values[s] !== undefined) return f.values[s];
    }
    return undefined;
  }
}

/** Ops whose bodies' values the value hooks observe. */
const CONTROL_FLOW: ReadonlySet<string> = new Set(['If', 'Loop', 'Scan', 'SequenceMap']);

export class Executor {
  /** `performance.now()` value after which the current run stops with a ResourceLimitError (RunOptions timeoutMs). */
  deadline: { readonly at: number; readonly timeoutMs: number; readonly start: number } | undefined;

  /**
   * Per plan: its constants laid out by slot (the start of every frame of it), and a slot array a finished run left
   * empty, which the next run of the plan fills from the template instead of allocating one (taken while a run uses
   * it, so a re-entrant run of the same plan gets a new array).
   */
  readonly #templates = new WeakMap<Plan, { readonly constants: (Value | undefined)[]; spare: (Value | undefined)[] | undefined }>();

  constructor(readonly ctx: PlanContext, readonly pool: BufferPool) {}

  #template(plan: Plan): { readonly constants: (Value | undefined)[]; spare: (Value | undefined)[] | undefined } {
    let t = this.#templates.get(plan);
    if (!t) {
      const constants = new Array<Value | undefined>(plan.slotCount).fill(undefined);
      for (const [s, c] of plan.constants) constants[s] = c;
      t = { constants, spare: undefined };
      this.#templates.set(plan, t);
    }
    return t;
  }

  #checkDeadline(): void {
    const d = this.deadline;
    if (d !== undefined && performance.now() > d.at) {
      throw new ResourceLimitError({ limit: 'timeoutMs', max: d.timeoutMs, requested: performance.now() - d.start, unit: 'ms' }, 'run time');
    }
  }

  /**
   * Runs `plan` with one value per `plan.inputSlots` entry (null/undefined: not provided; a default initializer, if
   * any, stays). Returns the outputs, each holding one transit reference in the pool (see `releaseTransit`).
   */
  runPlan(plan: Plan, inputs: readonly (Value | null | undefined)[], parent: Frame | undefined, hooks?: ValueHooks, selection?: Selection): Value[] {
    this.#checkDeadline();
    const template = this.#template(plan);
    const constants = template.constants;
    let values = template.spare;
    template.spare = undefined;
    if (values === undefined) values = constants.slice();
    else for (let s = 0; s < constants.length; s++) values[s] = constants[s];
    const frame = new Frame(plan, parent, this.pool, constants, values);
    try {
      // Constant nodes were folded into the constants at creation: hooks still see their outputs as produced values.
      if (hooks?.onValue) {
        for (const s of plan.folded) {
          const v = frame.values[s];
          if (v !== undefined && isTensor(v) && (!selection || selection.keep.has(s)) && (!hooks.observe || hooks.observe.has(plan.names[s]))) hooks.onValue(plan.names[s], this.pool.escape(v));
        }
      }
      const inputSlots = plan.inputSlots;
      for (let i = 0; i < inputSlots.length; i++) {
        const v = inputs[i];
        if (v) frame.set(inputSlots[i], v);
      }
      for (const [s, name] of plan.captures) {
        const v = parent?.lookup(name);
        if (v !== undefined) frame.set(s, v);
      }
      const keep = selection?.keep;
      for (const s of plan.unusedAtStart) if (!keep?.has(s)) frame.clear(s);
      const steps = plan.steps;
      for (let i = 0; i < steps.length; i++) {
        if (!selection || selection.steps[i]) this.#runStep(steps[i], frame, hooks, keep);
      }
      const outSlots = selection?.outputSlots ?? plan.outputSlots;
      const outs: Value[] = new Array(outSlots.length);
      for (let i = 0; i < outSlots.length; i++) {
        const v = frame.values[outSlots[i]];
        if (v === undefined) {
          throw new NodeError({ name: plan.graph.name, opType: 'Graph' }, `output "${plan.names[outSlots[i]]}" has no value after the run (an optional input left empty?)`, { nodePath: [...plan.nodePath, plan.graph.name] });
        }
        outs[i] = v;
      }
      for (const v of outs) retainValue(this.pool, v);
      return outs;
    } finally {
      frame.clearAll();
      // Every slot is empty now (nothing of this run stays reachable through it): the next run of the plan reuses it.
      template.spare = values;
    }
  }

  #runStep(step: Step, frame: Frame, hooks: ValueHooks | undefined, keep?: ReadonlySet<number>): void {
    const node = step.node;
    if (this.deadline !== undefined) this.#checkDeadline();
    const values = frame.values;
    const outs = step.builtin ? this.#runBuiltin(step, frame, hooks) : this.#runKernel(step, values);
    const outSlots = step.outputs;
    for (let i = 0; i < outSlots.length; i++) {
      const s = outSlots[i];
      if (s < 0) continue;
      const v = outs[i];
      if (v === null || v === undefined) {
        throw new NodeError(nodeRef(node), `produced no value for output[${i}] "${node.outputs[i]}"`, { nodePath: step.nodePath });
      }
      frame.set(s, v);
      if (hooks?.onValue && isTensor(v) && (!hooks.observe || hooks.observe.has(node.outputs[i]!))) {
        hooks.onValue(node.outputs[i]!, this.pool.escape(v));
      }
    }
    if (step.builtin) for (const v of outs) releaseValue(this.pool, v);
    const release = step.release;
    for (let i = 0; i < release.length; i++) if (!keep?.has(release[i])) frame.clear(release[i]);
  }

  /**
   * Runs a builtin step (control flow, sequences). A method of its own: the `runSubgraph` closure captures the frame
   * and hooks, and a closure in `#runStep` would make every step, kernel steps too, allocate a context for them.
   */
  #runBuiltin(step: Step, frame: Frame, hooks: ValueHooks | undefined): (Value | null)[] {
    const slots = step.inputs;
    const values = frame.values;
    const inputs: (Value | null)[] = new Array(slots.length);
    for (let i = 0; i < slots.length; i++) inputs[i] = slots[i] < 0 ? null : (values[slots[i]] ?? missingInput(step, i));
    const subHooks = CONTROL_FLOW.has(step.node.opType) ? hooks : undefined;
    const rc: BuiltinRunContext = { pool: this.pool, runSubgraph: (plan, ins) => this.runPlan(plan, ins, frame, subHooks) };
    try {
      return step.builtin!.run(inputs, rc);
    } catch (e) {
      throw wrap(e, step, 'builtin');
    }
  }

  /** Runs a kernel step on the frame's values: one pass over the input slots builds the tensors and checks dtypes. */
  #runKernel(step: Step, values: readonly (Value | undefined)[]): (Value | null)[] {
    const binding = step.kernel!;
    const slots = step.inputs;
    // The binding's argument array when free (it is taken for the call, so a re-entrant run gets a fresh one).
    let tensors = binding.args;
    binding.args = undefined;
    if (tensors === undefined || tensors.length !== slots.length) tensors = new Array<Tensor | null>(slots.length);
    try {
      return this.#callKernel(step, binding, tensors, values);
    } finally {
      // No tensor stays referenced between runs (a feed, a result) through the reused array.
      // (A loop: Array.prototype.fill is a C++ builtin call, about 1% of a mnist-8 run.)
      for (let i = 0; i < tensors.length; i++) tensors[i] = null;
      binding.args = tensors;
    }
  }

  #callKernel(step: Step, binding: KernelBinding, tensors: (Tensor | null)[], values: readonly (Value | undefined)[]): (Value | null)[] {
    const node = step.node;
    const slots = step.inputs;
    const planned = binding.node.inputTypes;
    let same = binding.key !== undefined && planned.length === slots.length;
    for (let i = 0; i < slots.length; i++) {
      if (slots[i] < 0) {
        tensors[i] = null;
        if (same && planned[i] !== null) same = false;
        continue;
      }
      const v = values[slots[i]] ?? missingInput(step, i);
      if (!isTensor(v)) {
        throw new NodeError(nodeRef(node), `input[${i}] "${node.inputs[i]}" is ${kindOf(v)}; op ${node.opType} takes tensors`, { nodePath: step.nodePath, inputIndex: i });
      }
      tensors[i] = v;
      if (same && planned[i] !== v.dtype) same = false;
    }
    // The planned input dtypes: the instance bound at compile time. Otherwise one per key met, created on first use.
    let bound = binding.primary;
    let dirtyOk = binding.primaryDirtyOk;
    if (!same || bound === undefined) {
      const types = tensors.map((t) => t?.dtype ?? null);
      const key = keyFor(kernelNodeFor(binding, types));
      bound = binding.instances.get(key);
      if (!bound) {
        bound = createInstance(this.ctx, node, step.nodePath, kernelNodeFor(binding, types), key);
        binding.instances.set(key, bound);
      }
      // A variant that writes every element it allocates gets buffers without zero fill (reused ones as they are).
      dirtyOk = bound.variant.writesAllOutputs === true;
    }
    if (dirtyOk) this.pool.zeroReused = false;
    try {
      return bound.run.call(bound.instance, tensors, this.pool);
    } catch (e) {
      throw wrap(e, step, `kernel ${bound.variant.key} (${bound.variant.name}, ${bound.variant.isa})`);
    } finally {
      if (dirtyOk) this.pool.zeroReused = true;
    }
  }
}

function missingInput(step: Step, i: number): never {
  throw new NodeError(nodeRef(step.node), `input[${i}] "${step.node.inputs[i]}" has no value at run time`, { nodePath: step.nodePath, inputIndex: i });
}

function wrap(e: unknown, step: Step, what: string): NodeError {
  if (e instanceof NodeError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  const inputIndex = typeof (e as { context?: { inputIndex?: unknown } })?.context?.inputIndex === 'number' ? (e as { context: { inputIndex: number } }).context.inputIndex : undefined;
  return new NodeError(nodeRef(step.node), `${what} failed: ${msg}`, { nodePath: step.nodePath, inputIndex, cause: e });
}

export type { Frame };
export { TensorSequence };

/**
 * The steps needed to compute `slots` (walking producers back through inputs and subgraph captures), as a Selection.
 * Main graph only.
 */
export function selectionFor(plan: Plan, slots: readonly number[]): Selection {
  const producer = new Map<number, number>();
  plan.steps.forEach((st, i) => st.outputs.forEach((o) => { if (o >= 0) producer.set(o, i); }));
  const readsOf = (st: Step): number[] => {
    const r = st.inputs.filter((x) => x >= 0);
    for (const sp of st.builtin?.subplans ?? []) for (const [, name] of sp.captures) {
      const sl = plan.slotOf.get(name);
      if (sl !== undefined) r.push(sl);
    }
    return r;
  };
  const steps = new Uint8Array(plan.steps.length);
  const stack = [...slots];
  while (stack.length) {
    const p = producer.get(stack.pop()!);
    if (p === undefined || steps[p]) continue;
    steps[p] = 1;
    stack.push(...readsOf(plan.steps[p]));
  }
  return { steps, outputSlots: slots, keep: new Set(slots) };
}
