/**
 * Converts IR attributes (`Attr`, ints as bigint) to the plain values kernels read (`AttrValue`).
 *
 * - int -> number when it is a safe integer, else bigint; ints -> number[] when every element is safe, else bigint[]
 * - float/floats/string/strings unchanged; tensor/tensors -> kernels `Tensor`
 * - graph -> `{ subgraph: Graph }` (only the runtime's control-flow steps look inside)
 * - sparse tensors are densified; type protos and function attribute references are not passed to kernels
 */
import type { AttrValue, Tensor } from '@lowbit/kernels';
import { allocData, sizeOf, Tensor as TensorClass } from '@lowbit/kernels';
import type { Attr, Graph, SparseTensor } from '@lowbit/onnx-ir';
import { tensorFromRef } from './values.js';

const MIN = BigInt(Number.MIN_SAFE_INTEGER);
const MAX = BigInt(Number.MAX_SAFE_INTEGER);

export function intValue(v: bigint): number | bigint {
  return v >= MIN && v <= MAX ? Number(v) : v;
}

/** The kernels view of one attribute, or undefined for kinds kernels never see (type protos, refs). */
export function convertAttr(a: Attr): AttrValue | undefined {
  switch (a.type) {
    case 'int': return intValue(a.value);
    case 'ints': return a.value.every((v) => v >= MIN && v <= MAX) ? a.value.map(Number) : [...a.value];
    case 'float': return a.value;
    case 'floats': return [...a.value];
    case 'string': return a.value;
    case 'strings': return [...a.value];
    case 'tensor': return tensorFromRef(a.value);
    case 'tensors': return a.value.map(tensorFromRef);
    case 'graph': return { subgraph: a.value };
    case 'graphs': return a.value.map((g) => ({ subgraph: g })) as unknown as AttrValue;
    case 'sparse-tensor': return densify(a.value);
    case 'sparse-tensors': return a.value.map(densify);
    default: return undefined;
  }
}

export function convertAttrs(attrs: readonly Attr[]): Map<string, AttrValue> {
  const m = new Map<string, AttrValue>();
  for (const a of attrs) {
    const v = convertAttr(a);
    if (v !== undefined) m.set(a.name, v);
  }
  return m;
}

/** The subgraph held by a graph attribute, if `v` is one. */
export function subgraphOf(v: AttrValue | undefined): Graph | undefined {
  if (v && typeof v === 'object' && 'subgraph' in v) return v.subgraph as Graph;
  return undefined;
}

/**
 * A sparse tensor as a dense tensor: zeros everywhere except at `indices`, which are either [NNZ] linear indices
 * or [NNZ, rank] coordinates (ONNX SparseTensorProto).
 */
export function densify(s: SparseTensor): Tensor {
  const values = tensorFromRef(s.values);
  const indices = tensorFromRef(s.indices);
  const dims = [...s.dims];
  const n = sizeOf(dims);
  const out = allocData(values.dtype, n) as unknown as { [i: number]: unknown };
  const src = values.data as unknown as { [i: number]: unknown; length: number };
  const idx = Array.from(indices.data as ArrayLike<number | bigint>, Number);
  const nnz = src.length;
  const rankForm = indices.dims.length === 2;
  for (let k = 0; k < nnz; k++) {
    let lin = 0;
    if (rankForm) {
      for (let d = 0; d < dims.length; d++) lin = lin * dims[d] + idx[k * dims.length + d];
    } else lin = idx[k];
    out[lin] = src[k];
  }
  return new TensorClass(values.dtype, out as never, dims);
}
