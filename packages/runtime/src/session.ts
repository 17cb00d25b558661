/**
 * Session: load a model once, plan it once, run it many times. The API mirrors onnxruntime-node's
 * `InferenceSession` (`create`, `run`, `inputNames`, `outputNames`, `inputMetadata`, `outputMetadata`).
 */
import { ISAS, isIsa, KernelRegistry, Tensor, type Isa, type KernelBackend, type Arena } from '@lowbit/kernels';
import { loadModel, normalizeDomain, type Model, type ValueInfo } from '@lowbit/onnx-ir';
import { loadBackends, selectBackend, type BackendName, type BackendRequest } from './backend.js';
import { BufferPool, type PoolStats } from './buffer-pool.js';
import { defaultBuiltins } from './builtins.js';
import { functionCallOp, functionKey } from './control/function-call.js';
import { SessionOptionError } from './errors.js';
import { Executor, selectionFor, type Selection, type ValueHooks } from './executor.js';
import { adoptForeignTensors, feedChecker, isFeedData, type ForeignTensor } from './feeds.js';
import { decodeModelBytes } from './load.js';
import { compilePlan, disposePlan } from './plan.js';
import type { Plan, PlanContext } from './plan-contract.js';
import { dtypeOf } from './ir-compat.js';
import { optimizeForSession, type GraphOptimizationLevel, type OptimizationReport } from './optimize/index.js';
import { sessionOptimizeOptions } from './optimize/session-options.js';
import { isTensor, kindOf, TensorSequence, type Value } from './values.js';
import { checkObserved, combineHooks, copyTensor } from './run-support.js';

export interface SessionOptions {
  /**
   * Kernel set: 'auto' (the best backend that loads here: native, then wasm, then js, with a diagnostic for each that
   * did not load), 'js' (scalar TypeScript reference), 'wasm' or 'native' (an error when it cannot load).
   */
  readonly backend?: BackendRequest;
  /**
   * Backends already loaded and initialised (see `loadBackends`): required for 'wasm'/'native' in the synchronous
   * `fromModel`; `create` loads them itself when absent. Backends passed here are not disposed by `release()`.
   */
  readonly backends?: readonly KernelBackend[];
  /** Intra-op threads for backends that use them (the js backend runs on the calling thread). */
  readonly threads?: number;
  /**
   * Memory for intermediate tensors (see `Arena` in @lowbit/kernels). Default: the arena of the session's best ready
   * backend, if it has one; otherwise JS memory. Results are always returned in JS memory.
   */
  readonly arena?: Arena;
  /** Kernel registry to resolve from (default: the backend's registry). */
  readonly registry?: KernelRegistry;
  /** Force one ISA (the `LOWBIT_ISA` environment variable does the same; this option wins). */
  readonly isa?: Isa;
  /** Called with every value the main graph and its control-flow bodies produce (or those in `observe`), and with the feeds. */
  readonly onValue?: (name: string, tensor: Tensor) => void;
  /** Names `onValue` is called for (default: all). */
  readonly observe?: readonly string[];
  /** Folder for external data when the model is given as bytes. */
  readonly baseDir?: string;
  /**
   * Graph optimisation before planning (default 'all'; see runtime/src/optimize/pipeline.ts). 'basic' does only
   * exact rewrites; 'all' also fuses (static QDQ within 1 output quantization step). Intermediate values fused away
   * cannot be fetched or observed unless named in `keep` (or in `observe` with `onValue`); a session with `onValue`
   * and no `observe` list observes everything and is not optimised.
   */
  readonly graphOptimization?: GraphOptimizationLevel;
  /** Value names the optimised plan must keep (to fetch or observe them per run). */
  readonly keep?: readonly string[];
  /**
   * Most bytes of intermediate tensor memory (JS memory) one session holds at once; an allocation beyond it is a
   * ResourceLimitError (inside a NodeError naming the node), not an out-of-memory abort. Default 4 GiB.
   */
  readonly memoryLimit?: number;
}

export interface RunOptions {
  /**
   * Names to return instead of the graph outputs: graph outputs or any other value of the main graph (an
   * intermediate, an input, an initializer). Only the nodes these need are run.
   */
  readonly fetches?: readonly string[];
  /** Per-run value hook (called in addition to the session's). */
  readonly onValue?: (name: string, tensor: Tensor) => void;
  /** Names this run's `onValue` observes (default: all). */
  readonly observe?: readonly string[];
  /**
   * Wall-clock budget of this run in milliseconds, checked before every step and every subgraph run (Loop
   * iterations): past it the run stops with a ResourceLimitError. Default: none.
   */
  readonly timeoutMs?: number;
}

/** onnxruntime-node style metadata of a graph input or output. */
export type ValueMetadata =
  | { readonly name: string; readonly isTensor: true; readonly type: string; readonly shape: readonly (number | string)[] }
  | { readonly name: string; readonly isTensor: false };

export type SessionFeeds = Readonly<Record<string, Tensor | ForeignTensor>>;
export type SessionResults = Record<string, Tensor>;

function metadataOf(v: ValueInfo): ValueMetadata {
  if (v.type?.kind !== 'tensor') return { name: v.name, isTensor: false };
  return {
    name: v.name,
    isTensor: true,
    type: dtypeOf(v.type.elemType) ?? `onnx-type-${v.type.elemType}`,
    shape: (v.type.shape ?? []).map((d, i) => (d === null ? `unk__${i}` : d)),
  };
}


export class Session {
  readonly model: Model;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly ValueMetadata[];
  readonly outputMetadata: readonly ValueMetadata[];
  /** The backend the session's optimized kernels come from (`js` when only the reference kernels run). */
  readonly backend: BackendName;
  /** ISAs the session's kernels may use on this machine (what the loaded backends detected, plus scalar). */
  readonly isas: readonly Isa[];
  /** Intra-op threads of the backend named by `backend` (1 for js, which runs on the calling thread). */
  readonly threads: number;
  /** Things worth knowing that did not stop the session (e.g. a backend fallback). */
  readonly diagnostics: readonly string[];
  readonly #plan: Plan;
  readonly #executor: Executor;
  readonly #pool: BufferPool;
  readonly #hooks: ValueHooks | undefined;
  readonly #checkFeeds: (feeds: Readonly<Record<string, unknown>>) => void;
  /** The plan's graph outputs by name (what a run without `fetches` returns). */
  readonly #outNames: readonly string[];
  /** Step selections per fetch list, built on first use. */
  readonly #selections = new Map<string, Selection>();
  /** Backends this session loaded itself (disposed by `release`). */
  readonly #owned: readonly KernelBackend[];
  #released = false;
  #optimization: OptimizationReport | undefined;

  private constructor(model: Model, plan: Plan, executor: Executor, pool: BufferPool, backend: BackendName, isas: readonly Isa[], threads: number, diagnostics: string[], hooks: ValueHooks | undefined, owned: readonly KernelBackend[]) {
    this.model = model;
    this.isas = isas;
    this.threads = threads;
    this.#owned = owned;
    this.#plan = plan;
    this.#executor = executor;
    this.#pool = pool;
    this.backend = backend;
    this.diagnostics = diagnostics;
    this.#hooks = hooks;
    this.#checkFeeds = feedChecker(plan);
    this.#outNames = plan.graph.outputs.map((o) => o.name);
    this.inputNames = plan.inputs.map((v) => v.name);
    this.outputNames = model.graph.outputs.map((v) => v.name);
    this.inputMetadata = plan.inputs.map(metadataOf);
    this.outputMetadata = model.graph.outputs.map(metadataOf);
  }

  /**
   * Loads (path or bytes) or takes (Model) a model, picks the backend and plans it. Unsupported ops, domains and
   * opsets fail here with a NodeError.
   */
  static async create(source: string | Uint8Array | ArrayBuffer | Model, options: SessionOptions = {}): Promise<Session> {
    checkThreads(options.threads);
    const model = await loadSource(source, options.baseDir);
    if (options.backends) return Session.fromModel(model, options);
    const backends = await loadBackends(options.backend ?? 'auto', options.threads === undefined ? {} : { threads: options.threads });
    try {
      return Session.#build(model, { ...options, backends }, backends);
    } catch (e) {
      for (const b of backends) b.dispose?.();
      throw e;
    }
  }

  /**
   * Synchronous `create` for an already-decoded model. Optimized backends must come preloaded in `options.backends`
   * (`await loadBackends('auto')`); without them 'auto' runs the js kernels.
   */
  static fromModel(model: Model, options: SessionOptions = {}): Session {
    return Session.#build(model, options, []);
  }

  static #build(model: Model, options: SessionOptions, owned: readonly KernelBackend[]): Session {
    checkThreads(options.threads);
    const envIsa = typeof process === 'undefined' ? undefined : process.env?.LOWBIT_ISA;
    const isaText = options.isa ?? (envIsa ? envIsa : undefined);
    if (isaText !== undefined && !isIsa(isaText)) {
      throw new SessionOptionError({ option: options.isa ? 'isa' : 'LOWBIT_ISA', expected: ISAS.join('|'), actual: String(isaText) });
    }
    const isa: Isa | undefined = isaText;
    const chosen = selectBackend(options.backend ?? 'auto', options.registry, options.backends ?? []);
    if (isa !== undefined && isa !== 'scalar' && !chosen.available.includes(isa)) {
      chosen.diagnostics.push(`isa ${isa} was requested but this machine's loaded backends run ${chosen.available.join(', ')}; kernels use the best of those below ${isa}`);
    }
    const optimized = optimizeForSession(model, sessionOptimizeOptions(options, chosen.registry, { available: chosen.available, ...(isa ? { force: isa } : {}) }));
    const opsets = new Map<string, number>();
    for (const o of optimized.model.opsetImports) opsets.set(normalizeDomain(o.domain), o.version);
    const ctx: PlanContext = {
      registry: chosen.registry,
      policy: { available: chosen.available, ...(isa ? { force: isa } : {}) },
      opsets,
      builtins: defaultBuiltins(),
      functions: new Map(model.functions.map((f) => [functionKey(f.domain, f.name), functionCallOp(f)])),
    };
    const plan = compilePlan(optimized.model.graph, ctx);
    if (options.observe) checkObserved(plan, options.observe, 'observe');
    const best = chosen.backends.find((b) => b.name === chosen.name);
    const arena = options.arena ?? best?.arena;
    const pool = new BufferPool(arena, checkMemoryLimit(options.memoryLimit));
    const hooks = options.onValue ? { onValue: options.onValue, observe: options.observe ? new Set(options.observe) : undefined } : undefined;
    const session = new Session(model, plan, new Executor(ctx, pool), pool, chosen.name, chosen.available, best ? Math.max(1, best.threads) : 1, chosen.diagnostics, hooks, owned);
    session.#optimization = optimized.report;
    return session;
  }

  /** What graph optimisation did at creation: level, node counts before/after, op counts, per-pass timings. */
  get optimization(): OptimizationReport {
    return this.#optimization!;
  }

  /** Runs the model. Feeds and results are keyed by graph input/output name. */
  async run(feeds: SessionFeeds, options: RunOptions = {}): Promise<SessionResults> {
    return this.runSync(feeds, options);
  }

  /** `run`, synchronously (the js backend never waits). Every output must be a tensor. */
  runSync(feeds: SessionFeeds, options: RunOptions = {}): SessionResults {
    const values = this.runValues(feeds, options);
    for (const name in values) {
      const v = values[name];
      if (!isTensor(v)) throw new SessionOptionError({ option: 'outputs', expected: 'tensor outputs (use runValues for sequences and optionals)', actual: `${kindOf(v)} for "${name}"` });
    }
    return values as SessionResults;
  }

  /**
   * Runs the model with feeds and results that may be sequences (`TensorSequence`) or empty optionals
   * (`OptionalNone`) as well as tensors.
   */
  runValues(given: Readonly<Record<string, Value | ForeignTensor>>, options: RunOptions = {}): Record<string, Value> {
    if (this.#released) throw new SessionOptionError({ option: 'session', expected: 'a session that has not been released', actual: 'a released session (release() freed its kernels)' });
    const plan = this.#plan;
    const feeds = adoptForeignTensors(given);
    this.#checkFeeds(feeds);
    if (options.observe) checkObserved(plan, options.observe, 'observe (run option)');
    const hooks = options.onValue ? combineHooks(this.#hooks, options) : this.#hooks;
    const graphInputs = plan.graph.inputs;
    const inputs: (Value | undefined)[] = new Array(graphInputs.length);
    for (let i = 0; i < graphInputs.length; i++) inputs[i] = feeds[graphInputs[i].name];
    if (hooks?.onValue) {
      for (const v of plan.graph.inputs) {
        const t = feeds[v.name];
        if (t && isTensor(t) && (!hooks.observe || hooks.observe.has(v.name))) hooks.onValue(v.name, t);
      }
      // Initializers are reported only when named in `observe` (they are constants, not produced values).
      if (hooks.observe) {
        for (const [slot, t] of plan.constants) {
          const name = plan.names[slot];
          if (hooks.observe.has(name) && feeds[name] === undefined && !plan.folded.has(slot)) hooks.onValue(name, t);
        }
      }
    }
    const selection = options.fetches ? this.#selection(options.fetches) : undefined;
    const outNames = options.fetches ?? this.#outNames;
    if (options.timeoutMs !== undefined && !(options.timeoutMs > 0)) throw new SessionOptionError({ option: 'timeoutMs', expected: 'a positive number', actual: String(options.timeoutMs) });
    if (options.timeoutMs !== undefined) {
      const start = performance.now();
      this.#executor.deadline = { at: start + options.timeoutMs, timeoutMs: options.timeoutMs, start };
    }
    try {
      const outs = this.#executor.runPlan(plan, inputs, undefined, hooks, selection);
      const results: Record<string, Value> = {};
      // A result that is not a fresh buffer of this run (an initializer, a Constant, a view of one) is copied, so
      // the caller can never change the session's constants through it. Feeds passed straight through stay as given.
      // Pool buffers escape (JS memory is handed over as is, arena memory is copied out).
      const own = (t: Tensor): Tensor => (this.#pool.owns(t) ? this.#pool.escape(t) : isFeedData(feeds, t.data) ? t : copyTensor(t));
      for (let i = 0; i < outNames.length; i++) {
        let v: Value = outs[i];
        if (isTensor(v)) v = own(v);
        else if (v instanceof TensorSequence) v = new TensorSequence(v.elemType, v.items.map(own));
        results[outNames[i]] = v;
      }
      return results;
    } finally {
      this.#executor.deadline = undefined;
      this.#pool.endRun();
    }
  }

  /**
   * Dims of the main graph's values as inferred statically at creation (numbers, dim_param symbols, null for
   * unknown); values whose rank is unknown are absent.
   */
  get inferredShapes(): ReadonlyMap<string, readonly (number | string | null)[]> {
    return this.#plan.shapes;
  }

  #selection(fetches: readonly string[]): Selection {
    const key = fetches.join('\u0000');
    let sel = this.#selections.get(key);
    if (!sel) {
      const slots = fetches.map((name) => {
        const s = this.#plan.slotOf.get(name);
        if (s === undefined) {
          throw new SessionOptionError({ option: 'fetches', expected: 'names of values of the main graph', actual: `"${name}"` });
        }
        return s;
      });
      sel = selectionFor(this.#plan, slots);
      this.#selections.set(key, sel);
    }
    return sel;
  }

  /**
   * Hands tensors of earlier results back to the session, for the next runs to write their outputs and intermediates
   * into instead of fresh memory (as onnxruntime's preallocated outputs): in a loop, `session.recycle(previous)` before
   * each run keeps a large output from costing a fresh allocation (page faults, GC pressure) every time. The caller
   * gives them up: neither they nor any view of them may be read afterwards (a later run overwrites them). Tensors the
   * session did not hand out itself (feeds passed through, copies of constants, another session's results, a tensor
   * given back already) are ignored. Returns how many were taken.
   */
  recycle(results: Readonly<Record<string, Value>> | readonly Value[]): number {
    if (this.#released) return 0;
    let taken = 0;
    const give = (v: Value | undefined): void => {
      if (v === undefined) return;
      if (isTensor(v)) taken += this.#pool.giveBack(v) ? 1 : 0;
      else if (v instanceof TensorSequence) for (const t of v.items) give(t);
    };
    for (const v of Array.isArray(results) ? results : Object.values(results)) give(v as Value);
    return taken;
  }

  /**
   * Buffer-pool counters (allocations vs reuses, reuses handed out without zero-filling) and the memory the pool holds
   * now (`bytes` of JS memory, `arenaBytes` of the backend's arena), for tests and tuning.
   */
  get poolStats(): Readonly<PoolStats> {
    return this.#pool.stats;
  }

  /**
   * Frees what the session holds: every kernel's packed weights (`KernelInstance.dispose`), the pooled buffers, and
   * the backends it loaded itself (not those passed in `options.backends`). Running a released session is a
   * SessionOptionError; a second `release()` does nothing.
   */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    disposePlan(this.#plan);
    this.#pool.clear();
    for (const b of this.#owned) b.dispose?.();
  }
}

function checkMemoryLimit(limit: number | undefined): number | undefined {
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit <= 0)) {
    throw new SessionOptionError({ option: 'memoryLimit', expected: 'a positive integer (bytes)', actual: String(limit) });
  }
  return limit;
}

function checkThreads(threads: number | undefined): void {
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 0)) {
    throw new SessionOptionError({ option: 'threads', expected: 'a non-negative integer', actual: String(threads) });
  }
}

async function loadSource(source: string | Uint8Array | ArrayBuffer | Model, baseDir: string | undefined): Promise<Model> {
  if (source instanceof ArrayBuffer) return decodeModelBytes(new Uint8Array(source), baseDir);
  if (typeof source === 'string') return loadModel(source, baseDir === undefined ? {} : { baseDir });
  if (source instanceof Uint8Array) return decodeModelBytes(source, baseDir);
  return source;
}
