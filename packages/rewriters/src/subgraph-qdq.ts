/**
 * Static QDQ inside control-flow bodies (If branches, Loop/Scan bodies, at any depth): `insertQdqDeep` runs
 * `insert-qdq` on the main graph and then on every body, and `staticQuantTargetsDeep` lists the activation tensors
 * all of them need ranges for.
 *
 * A body is quantized as a graph of its own, with these differences:
 * - Weights and biases a body's Conv/MatMul/Gemm read from an enclosing scope (outer initializers, captured by
 *   name) are visible to it as constants: the body gets its own quantized copy; the float original stays in the
 *   enclosing graph only while something still reads it.
 * - A compute node whose activation input has no calibrated range (a branch no calibration batch took) is left
 *   float instead of failing.
 * - New names avoid every name of the whole model (no shadowing of enclosing scopes, no clash between siblings).
 *
 * Values inside bodies are observed by their own names (the runtime's value hooks report them; ONNX keeps them
 * distinct from the enclosing scopes'). A name defined in two sibling bodies (both branches of one If) is one
 * calibration target observed in whichever branch ran, so both get the same parameters.
 */
import { collectNames, editGraph, graphIndex, subgraphsOf } from '@lowbit/onnx-ir';
import type { Attr, Graph, Model, Node, TensorRef } from '@lowbit/onnx-ir';
import { Constants, tidyGraph } from './edit-support.js';
import { insertQdq, type InsertQdqOptions } from './insert-qdq.js';
import { COMPUTE_OPS, planQuantization, type OutputPolicy, type QuantPlanOptions } from './quant-plan.js';
import { result, type RewritePass } from './pass-contract.js';
import { lookupRange } from './quant-options.js';

const PASS = 'insert-qdq-deep';

export interface DeepTargets {
  /** Tensors of the main graph (every calibration batch produces them). */
  readonly main: readonly string[];
  /** Tensors inside control-flow bodies (a batch may not produce them), not also in `main`, each once. */
  readonly bodies: readonly string[];
}

/**
 * The activation tensors `insertQdqDeep` needs ranges for, split into main-graph and body tensors: the targets of
 * `planQuantization` on each graph. `outputs`, when given, replaces `options.outputs`.
 */
export function staticQuantTargetsDeep(m: Model, options: QuantPlanOptions = {}, outputs?: OutputPolicy): DeepTargets {
  const o: QuantPlanOptions = outputs === undefined ? options : { ...options, outputs };
  const main = planQuantization(m, o).targets;
  const seen = new Set(main);
  const bodies: string[] = [];
  visitBodies(m.graph, new Map(), (body) => {
    for (const t of planQuantization({ ...m, graph: body }, o).targets) {
      if (!seen.has(t)) {
        seen.add(t);
        bodies.push(t);
      }
    }
    return body;
  });
  return { main, bodies };
}

/** `insert-qdq` on the main graph and inside every control-flow body (see the file comment). */
export function insertQdqDeep(options: InsertQdqOptions): RewritePass {
  return {
    name: PASS,
    async run(m, ctx) {
      const top = (await insertQdq(options).run(m, ctx)).model;
      const taken = collectNames(top.graph, new Set<string>());
      for (const n of options.reservedNames ?? []) taken.add(n);
      const bodyPass = (body: Graph): Graph => {
        const sel: InsertQdqOptions = { ...options, excludeNodes: withUncalibrated(options, body), reservedNames: [...taken] };
        const out = runSync(insertQdq(sel), { ...m, graph: body });
        collectNames(out, taken);
        return out;
      };
      const graph = visitBodies(top.graph, new Map(), bodyPass);
      if (graph === top.graph) return result(m, top);
      // outer weights now read only through the bodies' quantized copies are dropped
      const tidied = tidyGraph(top.graph, graph, { pruneInitializers: true });
      return result(m, { ...top, graph: tidied });
    },
  };
}

/** insert-qdq's run is synchronous in practice (it returns a PassResult, not a promise). */
function runSync(p: RewritePass, m: Model): Graph {
  const r = p.run(m, undefined as never);
  if (r instanceof Promise) throw new Error('insert-qdq returned a promise');
  return r.model.graph;
}

/**
 * Rewrites every control-flow body below `g` (deepest first, then the body itself) with `fn`; `outer` holds the
 * initializers visible from enclosing scopes. Returns `g` itself when nothing changed.
 */
function visitBodies(g: Graph, outer: ReadonlyMap<string, TensorRef>, fn: (body: Graph) => Graph): Graph {
  const visible = new Constants(g, outer).visibleToBodies();
  const patches = new Map<string, Attr[]>();
  for (const n of g.nodes) {
    if (subgraphsOf(n).length === 0) continue;
    let changed = false;
    const attrs = n.attributes.map((a): Attr => {
      if (a.type === 'graph') {
        const b = rewriteBody(a.value, visible, fn);
        if (b === a.value) return a;
        changed = true;
        return { ...a, value: b };
      }
      if (a.type === 'graphs') {
        const bs = a.value.map((sg) => rewriteBody(sg, visible, fn));
        if (bs.every((b, i) => b === a.value[i])) return a;
        changed = true;
        return { ...a, value: bs };
      }
      return a;
    });
    if (changed) patches.set(n.id, attrs);
  }
  if (patches.size === 0) return g;
  return editGraph(g, (e) => {
    for (const [id, attributes] of patches) e.updateNode(id, { attributes });
  });
}

function rewriteBody(body: Graph, outer: ReadonlyMap<string, TensorRef>, fn: (body: Graph) => Graph): Graph {
  const inner = visitBodies(body, outer, fn);
  const copies = capturedWeights(inner, outer);
  const withCopies = copies.length === 0 ? inner : { ...inner, initializers: [...inner.initializers, ...copies] };
  const out = fn(withCopies);
  if (out === withCopies) return inner;
  // copies still read as float (a bias left float, ...) go back to being read from the enclosing scope
  return out.initializers.some((t) => copies.includes(t)) ? { ...out, initializers: out.initializers.filter((t) => !copies.includes(t)) } : out;
}

/** Outer initializers a body's compute node reads as its weight or bias (input 1 or 2) and the body does not define. */
function capturedWeights(body: Graph, outer: ReadonlyMap<string, TensorRef>): TensorRef[] {
  const idx = graphIndex(body);
  const out = new Map<string, TensorRef>();
  for (const n of body.nodes) {
    if (!(COMPUTE_OPS as readonly string[]).includes(n.opType)) continue;
    for (const name of [n.inputs[1], n.inputs[2]]) {
      if (!name || out.has(name) || idx.initializer(name) || idx.input(name) || idx.producer(name)) continue;
      const t = outer.get(name);
      if (t) out.set(name, t);
    }
  }
  return [...out.values()];
}

/** The user's exclusion plus: compute nodes in `body` whose activation input(s) have no calibrated range. */
function withUncalibrated(options: InsertQdqOptions, body: Graph): (n: Node) => boolean {
  const user = options.excludeNodes;
  const idx = graphIndex(body);
  const isConst = (name: string | null | undefined): boolean => !!name && !!idx.initializer(name) && !idx.input(name);
  return (n: Node) => {
    if (user !== undefined && (typeof user === 'function' ? user(n) : user.includes(n.name))) return true;
    if (!(COMPUTE_OPS as readonly string[]).includes(n.opType)) return false;
    const acts = [n.inputs[0], ...(n.opType === 'MatMul' ? [n.inputs[1]] : [])].filter((x) => x && !isConst(x));
    return acts.some((x) => options.tensorOverrides?.[x!]?.range === undefined && options.tensorOverrides?.[x!]?.scale === undefined && !lookupRange(options.ranges, x!));
  };
}
