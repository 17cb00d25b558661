/**
 * Compiles one IR graph into a Plan, once per session: value slots instead of name lookups, a kernel (or builtin)
 * bound to every node, constant initializers converted once, and liveness (each slot is cleared right after its
 * last use, so the buffer pool can recycle its storage).
 *
 * Unsupported ops, domains and opsets are reported here, at session creation, as NodeErrors naming the op, its
 * domain and opset and the node; never halfway through a run.
 */
import { keyFor, NoKernelError, type AttrValue, type DType, type KernelInstance, type KernelNode, type KernelRegistry, type KernelVariant, type ResolvePolicy, type Tensor } from '@lowbit/kernels';
import { inferShapes, normalizeDomain, outputElemTypes, ShapeConflict, subgraphsOf, topologicalOrder, type Dim, type Graph, type NodeShapeConflict, type Node, type ValueInfo } from '@lowbit/onnx-ir';
import { convertAttrs } from './attributes.js';
import type { BoundKernel, BuiltinInstance, KernelBinding, OuterScope, Plan, PlanContext, Step } from './plan-contract.js';
import { functionKey } from './control/function-call.js';
import { dataTypeOfName, dtypeOf, NodeError, nodeRef } from './ir-compat.js';
import { tensorFromRef } from './values.js';

/**
 * Highest default-domain opset the runtime accepts: the newest opset in the ONNX backend test corpus it is validated
 * against (onnx-node, opsets up to 28). A newer opset may change an op's meaning, so it is a NodeError at create.
 */
export const MAX_ONNX_OPSET = 28;

function declaredType(v: ValueInfo | undefined): DType | undefined {
  return v?.type?.kind === 'tensor' ? dtypeOf(v.type.elemType) : undefined;
}

/** The opset of `domain` a node runs under. */
export function opsetOf(ctx: PlanContext, node: Node, nodePath: readonly string[]): number {
  const domain = normalizeDomain(node.domain);
  const v = ctx.opsets.get(domain);
  if (v === undefined) {
    throw new NodeError(nodeRef(node), `domain "${domain || 'ai.onnx'}" is not imported by the model (opset_import lists ${[...ctx.opsets.keys()].map((d) => `"${d || 'ai.onnx'}"`).join(', ') || 'nothing'})`, { nodePath });
  }
  return v;
}

/**
 * Compiles `graph`. For a subgraph, `outer` resolves the names it reads from enclosing scopes, and `nodePath`
 * names the nodes that own it.
 */
export function compilePlan(graph: Graph, ctx: PlanContext, outer?: OuterScope, nodePath: readonly string[] = []): Plan {
  const slotOf = new Map<string, number>();
  const names: string[] = [];
  const types = new Map<string, DType | undefined>();
  const slot = (name: string): number => {
    let s = slotOf.get(name);
    if (s === undefined) {
      s = names.length;
      names.push(name);
      slotOf.set(name, s);
    }
    return s;
  };
  const declared = new Map<string, DType>();
  for (const v of [...graph.valueInfo, ...graph.outputs]) {
    const t = declaredType(v);
    if (t) declared.set(v.name, t);
  }

  const initNames = new Set(graph.initializers.map((t) => t.name));
  const constants: [number, Tensor][] = [];
  const folded = new Set<number>();
  for (const t of graph.initializers) {
    constants.push([slot(t.name), tensorFromRef(t)]);
    types.set(t.name, dtypeOf(t.dtype));
  }
  const inputs = graph.inputs.filter((v) => !initNames.has(v.name) || outer !== undefined);
  const inputSlots = graph.inputs.map((v) => {
    if (!types.has(v.name)) types.set(v.name, declaredType(v));
    return slot(v.name);
  });

  // Values fixed for the session (initializers that are not also graph inputs, Constant outputs, and such values of
  // enclosing graphs that a subgraph reads): handed to kernels at create so they can pre-pack them.
  const fixed = new Map<string, Tensor>();
  const captures: [number, string][] = [];
  const resolveRead = (name: string, node: Node, inputIndex: number | undefined): number => {
    const s = slotOf.get(name);
    if (s !== undefined) return s;
    const found = outer?.(name);
    if (!found) {
      const what = inputIndex === undefined ? `its subgraph reads "${name}"` : `input[${inputIndex}] "${name}"`;
      throw new NodeError(nodeRef(node), `${what}, which is not a graph input, initializer or output of an earlier node`, { nodePath: [...nodePath, nodeRef(node).name], inputIndex });
    }
    const c = slot(name);
    captures.push([c, name]);
    types.set(name, found.type);
    if (found.constant) fixed.set(name, found.constant);
    return c;
  };

  const defined = new Set<string>([...initNames, ...graph.inputs.map((v) => v.name)]);
  // Stable order (already-sorted graphs keep their order); a cycle is a PreconditionError naming its nodes.
  const order = topologicalOrder(graph);

  const attrsByNode = new Map<Node, ReadonlyMap<string, AttrValue>>();
  for (const node of order) attrsByNode.set(node, convertAttrs(node.attributes));
  const inputNames = new Set(graph.inputs.map((v) => v.name));
  for (const [sl, t] of constants) if (!inputNames.has(names[sl])) fixed.set(names[sl], t);

  let shapes: ReadonlyMap<string, readonly Dim[]> = new Map();
  if (outer === undefined) {
    try {
      shapes = inferShapes(graph, {
        order,
        constants: new Map(constants.map(([sl, t]) => [names[sl], { dims: t.dims, dtype: dataTypeOfName(t.dtype), data: t.data as ArrayLike<number | bigint> }])),
        opsetOf: (n) => ctx.opsets.get(normalizeDomain(n.domain)) ?? 1,
      }).shapes;
    } catch (e) {
      if (!(e instanceof ShapeConflict)) throw e;
      const n = (e as NodeShapeConflict).node;
      throw new NodeError(nodeRef(n), `static shapes conflict: ${e.message}`, { nodePath: [...nodePath, nodeRef(n).name], inputIndex: e.inputIndex, cause: e });
    }
  }
  const staticShape = (name: string): readonly (number | null)[] | undefined => {
    const t = fixed.get(name);
    if (t) return t.dims;
    const d = shapes.get(name);
    return d ? d.map((x) => (typeof x === 'number' ? x : null)) : undefined;
  };

  const steps: { node: Node; nodePath: string[]; inputs: number[]; outputs: number[]; reads: number[]; kernel?: KernelBinding; builtin?: BuiltinInstance }[] = [];
  for (const node of order) {
    const path = [...nodePath, nodeRef(node).name];
    const inputSlotsOfNode = node.inputs.map((name, i) => (name ? resolveRead(name, node, i) : -1));
    const inputTypes = node.inputs.map((name) => (name ? types.get(name) : null));
    const attrs = attrsByNode.get(node)!;
    const domain = normalizeDomain(node.domain);
    const fnOp = ctx.functions?.get(functionKey(domain, node.opType));
    const opset = fnOp ? ctx.opsets.get(domain) ?? 1 : opsetOf(ctx, node, nodePath);
    if (domain === '' && opset > MAX_ONNX_OPSET) {
      throw new NodeError(nodeRef(node), `op ${node.opType} (domain "ai.onnx", opset ${opset}): opset ${opset} is newer than the runtime supports (ai.onnx up to ${MAX_ONNX_OPSET})`, { nodePath: path });
    }
    let outputCount = node.outputs.length;
    while (outputCount > 0 && !node.outputs[outputCount - 1]) outputCount--;
    const reads = [...inputSlotsOfNode.filter((s) => s >= 0)];

    let outTypes: (DType | undefined)[];
    let builtin: BuiltinInstance | undefined;
    let kernel: KernelBinding | undefined;
    const bi = fnOp ?? (domain === '' ? ctx.builtins.get(node.opType) : undefined);
    if (bi) {
      const subOuter: OuterScope = (name) => {
        const s = slotOf.get(name);
        if (s !== undefined) return { type: types.get(name), constant: fixed.get(name) };
        const f = outer?.(name);
        return f;
      };
      builtin = bi.create({
        node, attrs, opset, inputTypes,
        compileSubgraph: (attribute, g) => {
          try {
            return compilePlan(g, ctx, subOuter, path);
          } catch (e) {
            if (e instanceof NodeError) throw e;
            throw new NodeError(nodeRef(node), `subgraph "${attribute}" cannot be compiled: ${(e as Error).message}`, { nodePath: path, attribute, cause: e });
          }
        },
        fail: (detail, extra = {}) => {
          throw new NodeError(nodeRef(node), detail, { ...extra, nodePath: path });
        },
      });
      for (const sp of builtin.subplans) for (const [, name] of sp.captures) reads.push(resolveRead(name, node, undefined));
      outTypes = [...builtin.outputTypes];
    } else {
      if (subgraphsOf(node).length > 0) {
        throw new NodeError(nodeRef(node), `op ${node.opType} (domain "${domain || 'ai.onnx'}", opset ${opset}) has a subgraph attribute, which only the runtime's control-flow ops may have`, { nodePath: path });
      }
      const nodeConstants = new Map<number, Tensor>();
      node.inputs.forEach((name, i) => {
        const t = name ? fixed.get(name) : undefined;
        if (t) nodeConstants.set(i, t);
      });
      const inputShapes = node.inputs.map((name) => (name ? staticShape(name) : undefined));
      kernel = bindKernel(ctx, node, path, { name: node.name, opType: node.opType, domain, opset, attrs, inputTypes: inputTypes.map((t) => t ?? null), outputCount, constants: nodeConstants, inputShapes }, inputTypes.some((t) => t === undefined));
      outTypes = outputElemTypes(node, inputTypes.map((t) => (t ? dataTypeOfName(t) : undefined))).map((t) => (t === undefined ? undefined : dtypeOf(t)));
    }
    // A Constant is folded into the plan's constants: its outputs are bound when a run starts, with no step to run.
    const foldable = bi !== undefined && fnOp === undefined && node.opType === 'Constant' && reads.length === 0 && builtin!.subplans.length === 0 && node.outputs.every((name, i) => !name || builtin!.constantOutputs?.[i] !== undefined);
    const outputSlotsOfNode = node.outputs.map((name, i) => {
      if (!name) return -1;
      if (defined.has(name)) {
        throw new NodeError(nodeRef(node), `output[${i}] "${name}" is already defined (values are assigned once)`, { nodePath: path });
      }
      defined.add(name);
      types.set(name, declared.get(name) ?? outTypes[i]);
      const c = builtin?.constantOutputs?.[i];
      if (c) fixed.set(name, c);
      const sl = slot(name);
      if (foldable) {
        constants.push([sl, c!]);
        folded.add(sl);
      }
      return sl;
    });
    if (!foldable) steps.push({ node, nodePath: path, inputs: inputSlotsOfNode, outputs: outputSlotsOfNode, reads, kernel, builtin });
  }

  const outputSlots = graph.outputs.map((o) => {
    const s = slotOf.get(o.name);
    if (s !== undefined) return s;
    const found = outer?.(o.name);
    if (!found) {
      throw new NodeError({ name: graph.name, opType: 'Graph' }, `graph output "${o.name}" is never produced`, { nodePath: [...nodePath, graph.name] });
    }
    const c = slot(o.name);
    captures.push([c, o.name]);
    return c;
  });

  // Liveness: last step reading each slot; graph outputs live to the end.
  const keep = new Set(outputSlots);
  const lastUse = new Int32Array(names.length).fill(-1);
  steps.forEach((s, i) => {
    for (const r of s.reads) lastUse[r] = i;
    for (const o of s.outputs) if (o >= 0 && lastUse[o] < i) lastUse[o] = i;
  });
  const release: number[][] = steps.map(() => []);
  const unusedAtStart: number[] = [];
  for (let sl = 0; sl < names.length; sl++) {
    if (keep.has(sl)) continue;
    if (lastUse[sl] >= 0) release[lastUse[sl]].push(sl);
    else unusedAtStart.push(sl);
  }

  return {
    graph, nodePath, slotCount: names.length, slotOf, names, constants, folded, inputs, inputSlots, outputSlots, captures,
    steps: steps.map((s, i) => ({ node: s.node, nodePath: s.nodePath, inputs: s.inputs, outputs: s.outputs, release: release[i], kernel: s.kernel, builtin: s.builtin })),
    unusedAtStart, types, shapes,
  };
}

function hasAnyKernel(registry: KernelRegistry, domain: string, opType: string): boolean {
  const prefix = `${domain === '' ? '' : `${domain}.`}${opType}:`;
  return registry.keys().some((k) => k.startsWith(prefix));
}

/**
 * Checks the op is supported and, when the input dtypes are known, picks and creates its kernel now.
 * A node with unknown input dtypes is bound on first run (the op itself is still checked here).
 */
function bindKernel(ctx: PlanContext, node: Node, nodePath: readonly string[], kn: KernelNode, deferred: boolean): KernelBinding {
  const where = `op ${kn.opType} (domain "${kn.domain || 'ai.onnx'}", opset ${kn.opset})`;
  if (!hasAnyKernel(ctx.registry, kn.domain, kn.opType)) {
    throw new NodeError(nodeRef(node), `${where} is not supported: no kernel is registered for it`, { nodePath });
  }
  const instances = new Map<string, BoundKernel>();
  if (deferred) return { node: kn, instances, key: undefined, primary: undefined, primaryDirtyOk: false };
  const key = keyFor(kn);
  const primary = createInstance(ctx, node, nodePath, kn, key);
  instances.set(key, primary);
  return { node: kn, instances, key, primary, primaryDirtyOk: primary.variant.writesAllOutputs === true };
}

/** Resolves and creates the kernel for `key`; failures become NodeErrors naming op, domain, opset and node. */
export function createInstance(ctx: PlanContext, node: Node, nodePath: readonly string[], kn: KernelNode, key: string): BoundKernel {
  const where = `op ${kn.opType} (domain "${kn.domain || 'ai.onnx'}", opset ${kn.opset})`;
  let variant: KernelVariant;
  try {
    variant = ctx.registry.resolve(key, ctx.policy, kn);
  } catch (e) {
    const tried = (e instanceof NoKernelError ? e.context.tried : [key]).map((k) => `"${k}"`).join(', ');
    const types = kn.inputTypes.map((t) => t ?? '-').join(', ');
    throw new NodeError(nodeRef(node), `${where} is not supported for input dtypes (${types}): no kernel for ${tried}`, { nodePath, cause: e });
  }
  try {
    const instance = variant.create(kn);
    return { variant, instance, run: instance.run };
  } catch (e) {
    if (e instanceof NodeError) throw e;
    throw new NodeError(nodeRef(node), `${where}: kernel "${variant.key}" (${variant.name}) rejects the node: ${(e as Error).message}`, { nodePath, cause: e });
  }
}

/** Calls `dispose` on every kernel instance of `plan` and of the plans of its subgraphs (once each). */
export function disposePlan(plan: Plan, seen = new Set<KernelInstance>()): void {
  for (const step of plan.steps) {
    for (const { instance } of step.kernel?.instances.values() ?? []) {
      if (seen.has(instance)) continue;
      seen.add(instance);
      instance.dispose?.();
    }
    for (const sp of step.builtin?.subplans ?? []) disposePlan(sp, seen);
  }
}

/** The KernelNode for actual input dtypes (when they differ from the compile-time guess). */
export function kernelNodeFor(binding: KernelBinding, inputTypes: readonly (DType | null)[]): KernelNode {
  return { ...binding.node, inputTypes };
}

export type { AttrValue };
