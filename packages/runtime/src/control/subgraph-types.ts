/** Declared dtypes and static shapes of a subgraph's inputs/outputs (for builtins' compile-time output types). */
import type { DType } from '@lowbit/kernels';
import type { AttrValue } from '@lowbit/kernels';
import type { Graph, ValueInfo } from '@lowbit/onnx-ir';
import { subgraphOf } from '../attributes.js';
import type { BuiltinCompileContext } from '../plan-contract.js';
import { dtypeOf } from '../ir-compat.js';

export function declaredDtype(v: ValueInfo | undefined): DType | undefined {
  if (v?.type?.kind === 'tensor') return dtypeOf(v.type.elemType);
  if (v?.type?.kind === 'sequence' && v.type.elem?.kind === 'tensor') return dtypeOf(v.type.elem.elemType);
  return undefined;
}

/** The fully static shape of a declared tensor value, else undefined. */
export function staticShape(v: ValueInfo | undefined): number[] | undefined {
  if (v?.type?.kind !== 'tensor' || !v.type.shape) return undefined;
  return v.type.shape.every((d) => typeof d === 'number') ? (v.type.shape as number[]) : undefined;
}

/** The graph attribute `name`, or a NodeError. */
export function requireGraph(ctx: BuiltinCompileContext, name: string): Graph {
  const g = subgraphOf(ctx.attrs.get(name) as AttrValue | undefined);
  if (!g) return ctx.fail(`attribute "${name}" (a graph) is missing`, { attribute: name });
  return g;
}
