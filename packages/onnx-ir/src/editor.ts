/**
 * The graph editor: the one way to change a Graph. `editGraph(g, e => ...)` runs the edits against a working copy
 * and returns a new Graph that shares every node, tensor and subgraph it did not touch; `g` stays as it was.
 * When the callback changes nothing, `g` itself comes back (passes rely on this for the identity rule).
 *
 * Nodes are addressed by id (or by any version of the Node object, which carries the id). Ids are stable across
 * versions and never reused: new nodes get `n<k>` ids above the graph's `nextNodeId` watermark.
 *
 * Order: a new node is placed right after the last producer of what it reads (`addNode`), or where asked
 * (`insertBefore`/`insertAfter`). If the edits leave the list out of topological order, the result is re-sorted
 * with the stable sort of topo.ts (a cycle is a PreconditionError).
 *
 * Cost: lookups (producer, users, isDefined) are O(1) or O(uses); positional edits are O(nodes) (array splice), so
 * 20,000 insertions into a 20,000-node graph take about a second.
 */
import { PreconditionError } from './errors-pass.js';
import { graphIndex, hasSubgraphs, subgraphsOf } from './graph-index.js';
import { NameAllocator, nextNodeIdOf } from './names.js';
import { renameNodeReads } from './rename.js';
import { isTopologicallySorted, nodeLabel, topologicalOrder } from './topo.js';
import type { GraphEditor, NodePatch, NodeRef, NodeSpec, ReplaceUsesOptions } from './editor-api.js';
import type { Attr, Graph, Model, Node, NodeId, TensorRef, ValueInfo } from './types.js';

export type { GraphEditor, NodePatch, NodeRef, NodeSpec, ReplaceUsesOptions } from './editor-api.js';

export interface EditOptions {
  /**
   * Names `freshName` must avoid besides those of `graph` itself: pass the enclosing graph's names when editing a
   * subgraph (e.g. `collectNames(outer, new Set())`), so new names cannot shadow outer ones.
   */
  readonly reservedNames?: Iterable<string>;
}

/** Applies `edit` to a working copy of `graph` and returns the result (or `graph` itself if nothing changed). */
export function editGraph(graph: Graph, edit: (e: GraphEditor) => void, options: EditOptions = {}): Graph {
  const e = new Editor(graph, options.reservedNames ?? []);
  edit(e);
  return e.commit();
}

/** `editGraph` on a model's main graph; the same Model object back when the graph did not change. */
export function editModel(model: Model, edit: (e: GraphEditor) => void, options: EditOptions = {}): Model {
  const graph = editGraph(model.graph, edit, options);
  return graph === model.graph ? model : { ...model, graph };
}

const isName = (v: string | null): v is string => v !== null && v !== '';

class Editor implements GraphEditor {
  readonly original: Graph;
  #changed = false;
  #order: NodeId[];
  readonly #nodes = new Map<NodeId, Node>();
  readonly #producers = new Map<string, NodeId>();
  readonly #uses = new Map<string, Set<NodeId>>();
  #inputs: ValueInfo[];
  #outputs: ValueInfo[];
  #inits: TensorRef[];
  #valueInfo: ValueInfo[];
  #names: NameAllocator | undefined;
  #nextId: number;
  /** Names of graph inputs, initializers and sparse initializers, kept in step with the lists (O(1) isDefined). */
  readonly #rootNames = new Map<string, number>();

  readonly #reserved: Iterable<string>;

  constructor(g: Graph, reserved: Iterable<string>) {
    this.original = g;
    this.#reserved = reserved;
    this.#order = g.nodes.map((n) => n.id);
    for (const n of g.nodes) {
      if (this.#nodes.has(n.id)) throw new PreconditionError(`graph "${g.name}" has two nodes with id "${n.id}"`, { where: 'editGraph', nodes: [nodeLabel(n)] });
      this.#nodes.set(n.id, n);
      this.#register(n);
    }
    this.#inputs = [...g.inputs];
    this.#outputs = [...g.outputs];
    this.#inits = [...g.initializers];
    this.#valueInfo = [...g.valueInfo];
    this.#nextId = nextNodeIdOf(g);
    for (const v of g.inputs) this.#addRoot(v.name);
    for (const t of g.initializers) this.#addRoot(t.name);
    for (const sp of g.sparseInitializers) this.#addRoot(sp.values.name);
  }

  #addRoot(name: string): void {
    this.#rootNames.set(name, (this.#rootNames.get(name) ?? 0) + 1);
  }

  #dropRoot(name: string): void {
    const k = this.#rootNames.get(name) ?? 0;
    if (k <= 1) this.#rootNames.delete(name);
    else this.#rootNames.set(name, k - 1);
  }

  // ---- bookkeeping -------------------------------------------------------------------------------------------

  #readsOf(n: Node): Set<string> {
    const r = new Set<string>(n.inputs.filter(isName));
    if (hasSubgraphs(n)) for (const sg of subgraphsOf(n)) for (const c of graphIndex(sg).outerReferences) r.add(c);
    return r;
  }

  #register(n: Node): void {
    for (const o of n.outputs) if (isName(o) && !this.#producers.has(o)) this.#producers.set(o, n.id);
    for (const r of this.#readsOf(n)) {
      let s = this.#uses.get(r);
      if (s === undefined) this.#uses.set(r, (s = new Set()));
      s.add(n.id);
    }
  }

  #unregister(n: Node): void {
    for (const o of n.outputs) if (isName(o) && this.#producers.get(o) === n.id) this.#producers.delete(o);
    for (const r of this.#readsOf(n)) this.#uses.get(r)?.delete(n.id);
  }

  #put(candidate: Node): Node {
    // An edit that lands back on the original version (e.g. rewired and then rewired back) keeps the original object.
    const orig = graphIndex(this.original).node(candidate.id);
    const next = orig !== undefined && sameNode(orig, candidate) ? orig : candidate;
    const prev = this.#nodes.get(next.id);
    if (prev === next) return next;
    if (prev !== undefined) this.#unregister(prev);
    this.#nodes.set(next.id, next);
    this.#register(next);
    this.#changed = true;
    return next;
  }

  #id(ref: NodeRef): NodeId {
    return typeof ref === 'string' ? ref : ref.id;
  }

  #fail(op: string, message: string, extra: { nodes?: string[]; values?: string[] } = {}): never {
    throw new PreconditionError(`editor.${op}: ${message} (graph "${this.original.name}")`, { where: `editor.${op}`, ...extra });
  }

  get #alloc(): NameAllocator {
    if (this.#names === undefined) {
      const a = NameAllocator.forGraph(this.original, this.#reserved);
      for (const n of this.#nodes.values()) {
        if (n.name !== '') a.reserve(n.name);
        for (const v of [...n.inputs, ...n.outputs]) if (isName(v)) a.reserve(v);
      }
      for (const v of [...this.#inputs, ...this.#outputs, ...this.#valueInfo, ...this.#inits]) a.reserve(v.name);
      this.#names = a;
    }
    return this.#names;
  }

  // ---- queries -----------------------------------------------------------------------------------------------

  freshName(prefix: string): string {
    return this.#alloc.fresh(prefix);
  }

  node(ref: NodeRef): Node {
    const id = this.#id(ref);
    const n = this.#nodes.get(id);
    if (n === undefined) this.#fail('node', `no node with id "${id}"${typeof ref === 'string' ? '' : ` ("${nodeLabel(ref)}")`}`);
    return n;
  }

  has(ref: NodeRef): boolean {
    return this.#nodes.has(this.#id(ref));
  }

  nodes(): readonly Node[] {
    return this.#order.map((id) => this.#nodes.get(id)!);
  }

  producer(value: string): Node | undefined {
    const id = this.#producers.get(value);
    return id === undefined ? undefined : this.#nodes.get(id);
  }

  users(value: string): Node[] {
    const s = this.#uses.get(value);
    if (s === undefined || s.size === 0) return [];
    return this.#order.filter((id) => s.has(id)).map((id) => this.#nodes.get(id)!);
  }

  isDefined(value: string): boolean {
    return this.#producers.has(value) || this.#rootNames.has(value);
  }

  // ---- nodes -------------------------------------------------------------------------------------------------

  #make(spec: NodeSpec, op: string): Node {
    const a = this.#alloc;
    const name = spec.name ?? a.fresh(spec.opType);
    if (spec.name !== undefined && spec.name !== '') a.reserve(spec.name);
    let outputs: (string | null)[];
    if (spec.outputs === undefined) outputs = [a.fresh(`${name}_out`)];
    else if (typeof spec.outputs === 'number') outputs = Array.from({ length: spec.outputs }, (_, i) => a.fresh(`${name}_out${i}`));
    else outputs = [...spec.outputs];
    for (const o of outputs) {
      if (!isName(o)) continue;
      if (this.isDefined(o)) this.#fail(op, `output "${o}" of new node "${name}" is already defined (values are assigned once)`, { values: [o] });
      a.reserve(o);
    }
    for (const v of spec.inputs ?? []) if (isName(v)) a.reserve(v);
    let id: NodeId;
    do id = `n${this.#nextId++}`; while (this.#nodes.has(id));
    const node: Node = {
      id, name, opType: spec.opType, domain: spec.domain ?? '',
      inputs: [...(spec.inputs ?? [])], outputs, attributes: [...(spec.attributes ?? [])],
      ...(spec.overload !== undefined ? { overload: spec.overload } : {}),
      ...(spec.docString !== undefined ? { docString: spec.docString } : {}),
      ...(spec.metadataProps !== undefined ? { metadataProps: spec.metadataProps } : {}),
    };
    return node;
  }

  #insertAt(pos: number, node: Node): Node {
    this.#order.splice(pos, 0, node.id);
    this.#nodes.set(node.id, node);
    this.#register(node);
    this.#changed = true;
    return node;
  }

  #pos(ref: NodeRef, op: string): number {
    const id = this.#id(ref);
    const p = this.#nodes.has(id) ? this.#order.indexOf(id) : -1;
    if (p < 0) this.#fail(op, `no node with id "${id}"`, { nodes: [typeof ref === 'string' ? ref : nodeLabel(ref)] });
    return p;
  }

  addNode(spec: NodeSpec): Node {
    const node = this.#make(spec, 'addNode');
    let pos = 0;
    for (const r of this.#readsOf(node)) {
      const p = this.#producers.get(r);
      if (p !== undefined) pos = Math.max(pos, this.#order.indexOf(p) + 1);
    }
    return this.#insertAt(pos, node);
  }

  insertBefore(ref: NodeRef, spec: NodeSpec): Node {
    const pos = this.#pos(ref, 'insertBefore');
    return this.#insertAt(pos, this.#make(spec, 'insertBefore'));
  }

  insertAfter(ref: NodeRef, spec: NodeSpec): Node {
    const pos = this.#pos(ref, 'insertAfter');
    return this.#insertAt(pos + 1, this.#make(spec, 'insertAfter'));
  }

  removeNode(ref: NodeRef): void {
    const pos = this.#pos(ref, 'removeNode');
    const id = this.#order[pos];
    this.#unregister(this.#nodes.get(id)!);
    this.#nodes.delete(id);
    this.#order.splice(pos, 1);
    this.#changed = true;
  }

  replaceNode(ref: NodeRef, spec: NodeSpec): Node {
    const pos = this.#pos(ref, 'replaceNode');
    const id = this.#order[pos];
    this.#unregister(this.#nodes.get(id)!);
    this.#nodes.delete(id);
    this.#order.splice(pos, 1);
    this.#changed = true;
    return this.#insertAt(pos, this.#make(spec, 'replaceNode'));
  }

  updateNode(ref: NodeRef, patch: NodePatch): Node {
    const cur = this.node(ref);
    const next: Node = { ...cur, ...patch, id: cur.id };
    if (patch.outputs !== undefined) {
      for (const o of patch.outputs) {
        if (!isName(o) || cur.outputs.includes(o)) continue;
        if (this.isDefined(o)) this.#fail('updateNode', `output "${o}" of node "${nodeLabel(cur)}" is already defined`, { values: [o], nodes: [nodeLabel(cur)] });
        this.#alloc.reserve(o);
      }
    }
    if (patch.name !== undefined && patch.name !== '') this.#alloc.reserve(patch.name);
    if (patch.inputs !== undefined) for (const v of patch.inputs) if (isName(v)) this.#alloc.reserve(v);
    return this.#put(next);
  }

  setInput(ref: NodeRef, index: number, value: string | null): Node {
    const cur = this.node(ref);
    if (!Number.isInteger(index) || index < 0) this.#fail('setInput', `input index ${index} is not a non-negative integer`, { nodes: [nodeLabel(cur)] });
    if (cur.inputs[index] === value) return cur;
    const inputs = [...cur.inputs];
    while (inputs.length < index) inputs.push(null);
    inputs[index] = value;
    while (inputs.length > 0 && inputs[inputs.length - 1] === null) inputs.pop();
    return this.updateNode(cur, { inputs });
  }

  setOutput(ref: NodeRef, index: number, value: string | null): Node {
    const cur = this.node(ref);
    if (!Number.isInteger(index) || index < 0) this.#fail('setOutput', `output index ${index} is not a non-negative integer`, { nodes: [nodeLabel(cur)] });
    if (cur.outputs[index] === value) return cur;
    const outputs = [...cur.outputs];
    while (outputs.length < index) outputs.push(null);
    outputs[index] = value;
    return this.updateNode(cur, { outputs });
  }

  setAttribute(ref: NodeRef, attr: Attr): Node {
    const cur = this.node(ref);
    const i = cur.attributes.findIndex((a) => a.name === attr.name);
    if (i >= 0 && cur.attributes[i] === attr) return cur;
    const attributes = i >= 0 ? cur.attributes.map((a, j) => (j === i ? attr : a)) : [...cur.attributes, attr];
    return this.updateNode(cur, { attributes });
  }

  removeAttribute(ref: NodeRef, name: string): Node {
    const cur = this.node(ref);
    if (!cur.attributes.some((a) => a.name === name)) return cur;
    return this.updateNode(cur, { attributes: cur.attributes.filter((a) => a.name !== name) });
  }

  // ---- uses --------------------------------------------------------------------------------------------------

  replaceAllUses(oldValue: string, newValue: string, options?: ReplaceUsesOptions): void {
    this.renameUses(new Map([[oldValue, newValue]]), options);
  }

  renameUses(map: ReadonlyMap<string, string>, options: ReplaceUsesOptions = {}): void {
    const m = new Map([...map].filter(([k, v]) => k !== v));
    if (m.size === 0) return;
    for (const v of m.values()) this.#alloc.reserve(v);
    const except = new Set((options.except ?? []).map((r) => this.#id(r)));
    const touched = new Set<NodeId>();
    for (const k of m.keys()) for (const id of this.#uses.get(k) ?? []) if (!except.has(id)) touched.add(id);
    for (const id of touched) this.#put(renameNodeReads(this.#nodes.get(id)!, m));
    if (options.graphOutputs !== false && this.#outputs.some((o) => m.has(o.name))) {
      this.#outputs = this.#outputs.map((o) => (m.has(o.name) ? { ...o, name: m.get(o.name)! } : o));
      this.#changed = true;
    }
  }

  // ---- initializers, inputs, outputs, value_info ---------------------------------------------------------------

  addInitializer(t: TensorRef): void {
    if ((this.#rootNames.has(t.name) && this.#inits.some((x) => x.name === t.name)) || this.#producers.has(t.name)) {
      this.#fail('addInitializer', `value "${t.name}" is already defined`, { values: [t.name] });
    }
    this.#alloc.reserve(t.name);
    this.#inits.push(t);
    this.#addRoot(t.name);
    this.#changed = true;
  }

  removeInitializer(name: string): void {
    const i = this.#inits.findIndex((t) => t.name === name);
    if (i < 0) this.#fail('removeInitializer', `no initializer "${name}"`, { values: [name] });
    this.#inits.splice(i, 1);
    this.#dropRoot(name);
    this.#changed = true;
  }

  replaceInitializer(name: string, t: TensorRef): void {
    const i = this.#inits.findIndex((x) => x.name === name);
    if (i < 0) this.#fail('replaceInitializer', `no initializer "${name}"`, { values: [name] });
    if (t.name !== name) this.#fail('replaceInitializer', `replacement is named "${t.name}", expected "${name}"`, { values: [name, t.name] });
    if (this.#inits[i] === t) return;
    this.#inits[i] = t;
    this.#changed = true;
  }

  addInput(v: ValueInfo, index = this.#inputs.length): void {
    if (this.#inputs.some((x) => x.name === v.name) || this.#producers.has(v.name)) {
      this.#fail('addInput', `value "${v.name}" is already defined`, { values: [v.name] });
    }
    this.#alloc.reserve(v.name);
    this.#inputs.splice(index, 0, v);
    this.#addRoot(v.name);
    this.#changed = true;
  }

  removeInput(name: string): void {
    const i = this.#inputs.findIndex((x) => x.name === name);
    if (i < 0) this.#fail('removeInput', `no graph input "${name}"`, { values: [name] });
    this.#inputs.splice(i, 1);
    this.#dropRoot(name);
    this.#changed = true;
  }

  addOutput(v: ValueInfo, index = this.#outputs.length): void {
    this.#alloc.reserve(v.name);
    this.#outputs.splice(index, 0, v);
    this.#changed = true;
  }

  removeOutput(name: string): void {
    const i = this.#outputs.findIndex((x) => x.name === name);
    if (i < 0) this.#fail('removeOutput', `no graph output "${name}"`, { values: [name] });
    this.#outputs.splice(i, 1);
    this.#changed = true;
  }

  setValueInfo(v: ValueInfo): void {
    this.#alloc.reserve(v.name);
    const put = (list: ValueInfo[]): boolean => {
      const i = list.findIndex((x) => x.name === v.name);
      if (i < 0) return false;
      if (list[i] !== v) { list[i] = v; this.#changed = true; }
      return true;
    };
    const a = put(this.#inputs);
    const b = put(this.#outputs);
    if (a || b) return;
    if (!put(this.#valueInfo)) { this.#valueInfo.push(v); this.#changed = true; }
  }

  removeValueInfo(name: string): void {
    const before = this.#valueInfo.length;
    this.#valueInfo = this.#valueInfo.filter((x) => x.name !== name);
    if (this.#valueInfo.length !== before) this.#changed = true;
  }

  // ---- result ------------------------------------------------------------------------------------------------

  snapshot(): Graph {
    if (!this.#changed) return this.original;
    return {
      ...this.original,
      inputs: [...this.#inputs],
      outputs: [...this.#outputs],
      initializers: [...this.#inits],
      nodes: this.nodes(),
      valueInfo: [...this.#valueInfo],
      nextNodeId: Math.max(this.#nextId, nextNodeIdOf(this.original)),
    };
  }

  commit(): Graph {
    const g = this.snapshot();
    if (g === this.original) return g;
    const o = this.original;
    if (sameItems(g.nodes, o.nodes) && sameItems(g.inputs, o.inputs) && sameItems(g.outputs, o.outputs)
      && sameItems(g.initializers, o.initializers) && sameItems(g.valueInfo, o.valueInfo)) {
      return o; // edits that cancel out (keeping the id watermark would be the only difference)
    }
    if (isTopologicallySorted(g)) return g;
    return { ...g, nodes: topologicalOrder(g) };
  }
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Field-by-field equality, one level deep into arrays (elements compared by identity). */
function sameNode(a: Node, b: Node): boolean {
  const ka = Object.keys(a) as (keyof Node)[];
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => {
    const x = a[k], y = b[k];
    if (x === y) return true;
    return Array.isArray(x) && Array.isArray(y) && sameItems(x as unknown[], y as unknown[]);
  });
}
