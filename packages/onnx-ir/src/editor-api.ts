/**
 * The editor's public shape: what `editGraph` hands to its callback (implementation in editor.ts).
 */
import type { Attr, Graph, Node, NodeId, StringEntry, TensorRef, ValueInfo } from './types.js';

/** What a new node is made of. `outputs` may be a count (fresh names) or omitted (one fresh output). */
export interface NodeSpec {
  readonly opType: string;
  readonly domain?: string;
  /** Node name; a fresh one derived from opType when omitted. */
  readonly name?: string;
  readonly inputs?: readonly (string | null)[];
  readonly outputs?: readonly (string | null)[] | number;
  readonly attributes?: readonly Attr[];
  readonly overload?: string;
  readonly docString?: string;
  readonly metadataProps?: readonly StringEntry[];
}

/** A node given by id or by (any version of) the Node object. */
export type NodeRef = Node | NodeId;

/** Fields of a node that `updateNode` may change (never the id). */
export type NodePatch = Partial<Omit<Node, 'id'>>;

export interface ReplaceUsesOptions {
  /** Nodes whose inputs are left alone (e.g. the new consumer of the old value). */
  readonly except?: readonly NodeRef[];
  /** Rename matching graph outputs too (default true). */
  readonly graphOutputs?: boolean;
}

export interface GraphEditor {
  /** The graph the edit started from. */
  readonly original: Graph;
  /** A name used nowhere in the graph (incl. subgraphs) and not handed out before in this edit. */
  freshName(prefix: string): string;
  /** The current version of a node. Throws PreconditionError when it is not (or no longer) in the graph. */
  node(ref: NodeRef): Node;
  has(ref: NodeRef): boolean;
  /** Current nodes in current order. */
  nodes(): readonly Node[];
  /** The current node producing `value`, if a node does. */
  producer(value: string): Node | undefined;
  /** Current nodes reading `value` (as an input or through a subgraph capture), in current order. */
  users(value: string): Node[];
  /** True when `value` is a graph input, initializer, or node output now. */
  isDefined(value: string): boolean;

  addNode(spec: NodeSpec): Node;
  insertBefore(ref: NodeRef, spec: NodeSpec): Node;
  insertAfter(ref: NodeRef, spec: NodeSpec): Node;
  removeNode(ref: NodeRef): void;
  /** Replaces a node by a new one (new id) at the same position. */
  replaceNode(ref: NodeRef, spec: NodeSpec): Node;
  /** Changes fields of a node, keeping its id and position. */
  updateNode(ref: NodeRef, patch: NodePatch): Node;
  setInput(ref: NodeRef, index: number, value: string | null): Node;
  setOutput(ref: NodeRef, index: number, value: string | null): Node;
  /** Adds or replaces (by name) one attribute. */
  setAttribute(ref: NodeRef, attr: Attr): Node;
  removeAttribute(ref: NodeRef, name: string): Node;

  /**
   * Every read of `oldValue` becomes a read of `newValue`: node inputs, graph outputs (unless
   * `graphOutputs: false`), and subgraphs that capture `oldValue` from this scope.
   */
  replaceAllUses(oldValue: string, newValue: string, options?: ReplaceUsesOptions): void;
  /** `replaceAllUses` for many pairs at once. Chains (a->b, b->c) are not followed: rename targets are final. */
  renameUses(map: ReadonlyMap<string, string>, options?: ReplaceUsesOptions): void;

  addInitializer(t: TensorRef): void;
  removeInitializer(name: string): void;
  /** Swaps the initializer named `name` for `t` (same name). */
  replaceInitializer(name: string, t: TensorRef): void;
  addInput(v: ValueInfo, index?: number): void;
  removeInput(name: string): void;
  addOutput(v: ValueInfo, index?: number): void;
  removeOutput(name: string): void;
  /** Sets the type info of a value: the graph input/output entry if it is one, else the value_info entry. */
  setValueInfo(v: ValueInfo): void;
  removeValueInfo(name: string): void;
  /** The current state as a Graph (not re-sorted). Useful to run `graphIndex` or `verifyModel` mid-edit. */
  snapshot(): Graph;
}
