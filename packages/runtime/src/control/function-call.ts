/**
 * Calls of model-local functions (ModelProto.functions): the function body is compiled like a subgraph whose
 * inputs and outputs are the function's, with attribute references (`ref` attributes) replaced by the calling
 * node's attribute of that name, or the function's default (`attributeProtos`). Omitted trailing inputs/outputs of
 * the call stay empty inside the body.
 */
import { normalizeDomain, subgraphsOf, type Attr, type FunctionDef, type Graph, type Node } from '@lowbit/onnx-ir';
import type { BuiltinOp } from '../plan-contract.js';

export function functionKey(domain: string, name: string): string {
  return `${normalizeDomain(domain)}::${name}`;
}

function bindAttrs(attrs: readonly Attr[], caller: ReadonlyMap<string, Attr>, defaults: ReadonlyMap<string, Attr>): Attr[] {
  const out: Attr[] = [];
  for (const a of attrs) {
    if (a.type !== 'ref') {
      out.push(a.type === 'graph' ? { ...a, value: bindGraph(a.value, caller, defaults) } : a);
      continue;
    }
    const v = caller.get(a.refAttrName) ?? defaults.get(a.refAttrName);
    if (v) out.push({ ...v, name: a.name } as Attr);
  }
  return out;
}

function bindNode(n: Node, caller: ReadonlyMap<string, Attr>, defaults: ReadonlyMap<string, Attr>): Node {
  const hasRef = n.attributes.some((a) => a.type === 'ref') || subgraphsOf(n).length > 0;
  return hasRef ? { ...n, attributes: bindAttrs(n.attributes, caller, defaults) } : n;
}

function bindGraph(g: Graph, caller: ReadonlyMap<string, Attr>, defaults: ReadonlyMap<string, Attr>): Graph {
  return { ...g, nodes: g.nodes.map((n) => bindNode(n, caller, defaults)) };
}

/** The function body as a Graph for one call site. */
export function functionBody(fn: FunctionDef, call: Node): Graph {
  const caller = new Map(call.attributes.map((a) => [a.name, a]));
  const defaults = new Map(fn.attributeProtos.map((a) => [a.name, a]));
  return {
    name: `${fn.domain}.${fn.name}`,
    inputs: fn.inputs.map((name) => ({ name, type: undefined })),
    outputs: fn.outputs.map((name) => ({ name, type: undefined })),
    initializers: [],
    sparseInitializers: [],
    nodes: fn.nodes.map((n) => bindNode(n, caller, defaults)),
    valueInfo: fn.valueInfo,
  };
}

export function functionCallOp(fn: FunctionDef): BuiltinOp {
  return {
    opType: fn.name,
    sinceVersion: 1,
    create(ctx) {
      if (ctx.node.inputs.length > fn.inputs.length) ctx.fail(`passes ${ctx.node.inputs.length} inputs; function ${fn.domain}.${fn.name} takes ${fn.inputs.length}`);
      const plan = ctx.compileSubgraph('(function body)', functionBody(fn, ctx.node));
      return {
        subplans: [plan],
        outputTypes: fn.outputs.map(() => undefined),
        run(inputs, rc) {
          const args = fn.inputs.map((_, i) => inputs[i] ?? null);
          return rc.runSubgraph(plan, args).slice(0, ctx.node.outputs.length);
        },
      };
    },
  };
}
