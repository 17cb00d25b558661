/**
 * What the sibling fusions (`fuse-dynamic-siblings`, `fuse-qlinear-siblings`) share: sibling GEMM nodes with constant
 * weights [K, N_i] become one node over the weights side by side ([K, sum N_i]), each per-column parameter one value
 * per column (a per-tensor one repeated), whose outputs are the siblings' outputs in order (attribute `splits`).
 */
import { DataType, editGraph, tensorFromValues } from '@lowbit/onnx-ir';
import type { GraphEditor, Model, Node, PassResult } from '@lowbit/onnx-ir';
import type { Tensor } from '@lowbit/kernels';
import { LOWBIT_DOMAIN, paramAt } from './support.js';

/** One matched sibling: its node and its constant weights [K, N]. */
export interface SiblingNode {
  readonly node: Node;
  readonly w: Tensor;
}

/** The groups of at least two siblings that share `key`, each in graph order. */
export function siblingGroups<S extends SiblingNode>(nodes: readonly Node[], match: (n: Node) => S | undefined, key: (s: S) => string): S[][] {
  const groups = new Map<string, S[]>();
  for (const n of nodes) {
    const s = match(n);
    if (!s) continue;
    const k = key(s);
    const list = groups.get(k);
    if (list) list.push(s);
    else groups.set(k, [s]);
  }
  return [...groups.values()].filter((g) => g.length >= 2);
}

/** The onnx-ir type of an 8-bit kernels dtype. */
export const q8Type = (dtype: string): DataType => (dtype === 'int8' ? DataType.INT8 : DataType.UINT8);

/** A fused group under construction: its widths and the editor that adds its concatenated initializers. */
export class SideBySide<S extends SiblingNode> {
  readonly widths: number[];
  readonly N: number;
  readonly #base: string;

  constructor(readonly e: GraphEditor, readonly group: readonly S[]) {
    this.widths = group.map((s) => s.w.dims[1]);
    this.N = this.widths.reduce((a, b) => a + b, 0);
    this.#base = group[0].node.name || group[0].node.opType;
  }

  /** The weights side by side, [K, N], as a new initializer; its name. */
  weights(suffix: string): string {
    const w0 = this.group[0].w;
    const K = w0.dims[0];
    const out = w0.dtype === 'int8' ? new Int8Array(K * this.N) : new Uint8Array(K * this.N);
    let off = 0;
    for (const s of this.group) {
      const n = s.w.dims[1];
      const wd = s.w.data as Int8Array | Uint8Array;
      for (let k = 0; k < K; k++) out.set(wd.subarray(k * n, (k + 1) * n), k * this.N + off);
      off += n;
    }
    return this.#add(suffix, q8Type(w0.dtype), [K, this.N], out);
  }

  /** A per-column parameter of every sibling (1 or N_i values; absent: zeros) as N values of `type`; its name. */
  columns(suffix: string, type: DataType, param: (s: S) => Tensor | undefined): string {
    const out = type === DataType.FLOAT ? new Float32Array(this.N) : type === DataType.INT8 ? new Int8Array(this.N) : new Uint8Array(this.N);
    let off = 0;
    for (const s of this.group) {
      const t = param(s);
      const n = s.w.dims[1];
      if (t) for (let j = 0; j < n; j++) out[off + j] = paramAt(t, j);
      off += n;
    }
    return this.#add(suffix, type, [this.N], out);
  }

  /** One value per sibling (a one-value parameter of each) as [G] values of `type`; its name. */
  perSibling(suffix: string, type: DataType, param: (s: S) => Tensor): string {
    const vals = this.group.map((s) => paramAt(param(s), 0));
    const out = type === DataType.FLOAT ? Float32Array.from(vals) : type === DataType.INT8 ? Int8Array.from(vals) : Uint8Array.from(vals);
    return this.#add(suffix, type, [vals.length], out);
  }

  /** The siblings replaced by one `opType` node (domain lowbit) with `inputs`, their outputs and `splits`. */
  replace(opType: string, inputs: string[]): void {
    const first = this.group[0].node;
    for (const s of this.group.slice(1)) this.e.removeNode(s.node);
    this.e.replaceNode(first, {
      opType, domain: LOWBIT_DOMAIN, inputs, outputs: this.group.map((s) => s.node.outputs[0]!), name: this.e.freshName(`${this.#base}_siblings`),
      attributes: [{ type: 'ints', name: 'splits', value: this.widths.map(BigInt) }],
    });
  }

  #add(suffix: string, type: DataType, dims: number[], data: Float32Array | Int8Array | Uint8Array): string {
    const name = this.e.freshName(`${this.#base}_siblings_${suffix}`);
    this.e.addInitializer(tensorFromValues(name, type, dims, data));
    return name;
  }
}

/** Runs `fuse` on each group in one edit of m's graph; the pass result (the same model back when nothing changed). */
export function fuseGroups<S extends SiblingNode>(m: Model, groups: readonly S[][], fuse: (g: SideBySide<S>) => void): PassResult {
  if (groups.length === 0) return { model: m, modified: false };
  const g = editGraph(m.graph, (e) => {
    for (const group of groups) fuse(new SideBySide(e, group));
  });
  return g === m.graph ? { model: m, modified: false } : { model: { ...m, graph: g }, modified: true };
}
