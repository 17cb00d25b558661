/**
 * What the runtime's optimisation passes share: the options they read from the PassContext (names to keep, the
 * kernel-rank guard), constant lookup (initializers and Constant nodes), and evaluation of a node on constants with the
 * scalar reference kernels (so a folded constant is bit-identical to what the unfolded node computes at run time).
 */
import { allocData, createReferenceRegistry, keyFor, sizeOf, Tensor, type KernelRegistry } from '@lowbit/kernels';
import { dataTypeFromName, graphIndex, normalizeDomain, tensorFromValues } from '@lowbit/onnx-ir';
import type { Graph, GraphEditor, Model, Node, PassContext, PassResult, TensorRef } from '@lowbit/onnx-ir';
import { convertAttrs } from '../attributes.js';
import { tensorFromRef } from '../values.js';

/** The domain of Lowbit's internal fused ops (kernel keys `lowbit.Op:sig`). */
export const LOWBIT_DOMAIN = 'lowbit';

/** Key under which the passes read their options in `PassContext.options`. */
export const OPTIMIZE_OPTIONS_KEY = 'runtime-optimize';

export interface OptimizePassOptions {
  /** Values that must stay observable by name (a pass never removes one). Default: none. */
  readonly keep?: (name: string) => boolean;
  /**
   * Preference of the kernel that would run `key` on this session (higher is better; undefined: no kernel). A fusion
   * into op F replacing a main op U is done only when rank(F) >= rank(U), so a fused op never trades an optimized
   * kernel (e.g. a native `Conv:f32`) for a slower reference one. Default: every key ranks 0 (always fuse).
   */
  readonly rank?: (key: string) => number | undefined;
}

export function passOptions(ctx: PassContext): OptimizePassOptions {
  return (ctx.options[OPTIMIZE_OPTIONS_KEY] ?? {}) as OptimizePassOptions;
}

/** True when `name` may disappear from the graph: not kept and not a graph output. */
export function removable(g: Graph, opts: OptimizePassOptions, name: string): boolean {
  return !graphIndex(g).isGraphOutput(name) && !(opts.keep?.(name) ?? false);
}

/** The only consumer node of `value` (one use, no subgraph capture), when `value` may disappear. */
export function soleConsumer(g: Graph, opts: OptimizePassOptions, value: string | null | undefined): Node | undefined {
  if (!value || !removable(g, opts, value)) return undefined;
  const idx = graphIndex(g);
  const uses = idx.consumers(value);
  return uses.length === 1 && idx.captures(value).length === 0 ? uses[0].node : undefined;
}

/** True when fusing into `fusedKey` does not lose against `unfusedKey` (see `OptimizePassOptions.rank`). */
export function fusionPays(opts: OptimizePassOptions, fusedKey: string, unfusedKey: string): boolean {
  if (!opts.rank) return true;
  const f = opts.rank(fusedKey);
  if (f === undefined) return false;
  return f >= (opts.rank(unfusedKey) ?? -1);
}

/** Default-domain node of type `opType`. */
export function isOp(n: Node | undefined, opType: string): n is Node {
  return n !== undefined && n.opType === opType && normalizeDomain(n.domain) === '';
}

/**
 * Constant values of one graph: initializers that no graph input overrides, and outputs of `Constant` nodes with a
 * `value` tensor. Converted tensors are cached per instance.
 */
export class Constants {
  readonly #graph: Graph;
  readonly #cache = new Map<string, Tensor>();
  readonly #fromNodes = new Map<string, TensorRef>();

  constructor(graph: Graph) {
    this.#graph = graph;
    for (const n of graph.nodes) {
      if (!isOp(n, 'Constant') || !n.outputs[0]) continue;
      const v = n.attributes.find((a) => a.name === 'value');
      if (v?.type === 'tensor') this.#fromNodes.set(n.outputs[0], v.value);
    }
  }

  ref(name: string | null | undefined): TensorRef | undefined {
    if (!name) return undefined;
    const idx = graphIndex(this.#graph);
    const t = idx.initializer(name);
    if (t) return idx.input(name) ? undefined : t;
    return this.#fromNodes.get(name);
  }

  /** The constant as a kernels Tensor, or undefined when `name` is not a constant. */
  tensor(name: string | null | undefined): Tensor | undefined {
    if (!name) return undefined;
    const hit = this.#cache.get(name);
    if (hit) return hit;
    const r = this.ref(name);
    if (!r) return undefined;
    const t = tensorFromRef(r);
    this.#cache.set(name, t);
    return t;
  }

  /** The same value: one name, or two constants of equal dtype, dims and values. */
  same(a: string | null | undefined, b: string | null | undefined): boolean {
    if (!a || !b) return false;
    if (a === b) return true;
    const x = this.tensor(a);
    const y = this.tensor(b);
    if (!x || !y || x.dtype !== y.dtype || x.dims.join() !== y.dims.join()) return false;
    const xv = this.numbers(a)!;
    const yv = this.numbers(b)!;
    return xv.every((v, i) => Object.is(v, yv[i]));
  }

  /** The values of a numeric constant as plain numbers (bigint elements converted), or undefined. */
  numbers(name: string | null | undefined): number[] | undefined {
    const t = this.tensor(name);
    if (!t || typeof t.data === 'string' || Array.isArray(t.data)) return undefined;
    return Array.from(t.data as ArrayLike<number | bigint>, Number);
  }
}

/** Value j of a constant parameter of 1 value (every j) or N values (per column / channel). */
export function paramAt(t: Tensor, j: number): number {
  return Number((t.data as ArrayLike<number>)[t.data.length === 1 ? 0 : j]);
}

/** Adds `t` (a kernels Tensor) as an initializer named `name` through the editor. */
export function addTensorInitializer(e: GraphEditor, name: string, t: Tensor): string {
  e.addInitializer(tensorFromValues(name, dataTypeFromName(t.dtype), t.dims, t.data as never));
  return name;
}

/** Imported opset of the default domain (1 when absent). */
export function onnxOpset(m: Model): number {
  return m.opsetImports.find((o) => normalizeDomain(o.domain) === '')?.version ?? 1;
}

/**
 * Runs `node` on constant inputs with the scalar reference kernel its key resolves to (the same kernel an unfolded
 * session would run on the js backend), returning its outputs.
 */
export function evaluateConstantNode(node: Node, inputs: readonly (Tensor | null)[], opset: number, registry: KernelRegistry = createReferenceRegistry()): (Tensor | null)[] {
  const kn = {
    name: node.name, opType: node.opType, domain: normalizeDomain(node.domain), opset, attrs: convertAttrs(node.attributes),
    inputTypes: inputs.map((t) => t?.dtype ?? null), outputCount: node.outputs.length,
  };
  const variant = registry.resolve(keyFor(kn), { available: ['scalar'] }, kn);
  const inst = variant.create(kn);
  try {
    return inst.run(inputs, { alloc: (dtype, dims) => new Tensor(dtype, allocData(dtype, sizeOf(dims)) as never, dims) as never });
  } finally {
    inst.dispose?.();
  }
}

/** The pass result for `graph`: `m` itself when the graph did not change (the identity rule), else a new model. */
export function resultOfGraph(m: Model, graph: Graph): PassResult {
  return graph === m.graph ? { model: m, modified: false } : { model: { ...m, graph }, modified: true };
}
