import type { AttrValue, KernelNode } from '../../contract.js';
import { Tensor } from '../../tensor.js';
import { kernelError } from './fail.js';

type N = Pick<KernelNode, 'name' | 'opType' | 'attrs'>;

const num = (v: number | bigint): number => (typeof v === 'bigint' ? Number(v) : v);

/** An int attribute (bigint values are converted; INT64 extremes become +-9.22e18, fine for clamping). */
export function attrInt(node: N, name: string, dflt: number): number {
  const v = node.attrs.get(name);
  if (v === undefined) return dflt;
  if (typeof v === 'number' || typeof v === 'bigint') return num(v);
  throw kernelError(node, `attribute "${name}"`, { expected: 'an int', actual: describeAttr(v) });
}

export function attrFloat(node: N, name: string, dflt: number): number {
  const v = node.attrs.get(name);
  if (v === undefined) return dflt;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw kernelError(node, `attribute "${name}"`, { expected: 'a float', actual: describeAttr(v) });
}

export function attrString(node: N, name: string, dflt: string): string {
  const v = node.attrs.get(name);
  if (v === undefined) return dflt;
  if (typeof v === 'string') return v;
  throw kernelError(node, `attribute "${name}"`, { expected: 'a string', actual: describeAttr(v) });
}

export function attrInts(node: N, name: string): number[] | undefined {
  const v = node.attrs.get(name);
  if (v === undefined) return undefined;
  if (Array.isArray(v) && v.every((x) => typeof x === 'number' || typeof x === 'bigint')) return (v as (number | bigint)[]).map(num);
  if (typeof v === 'number' || typeof v === 'bigint') return [num(v)];
  throw kernelError(node, `attribute "${name}"`, { expected: 'a list of ints', actual: describeAttr(v) });
}

export function attrFloats(node: N, name: string): number[] | undefined {
  const v = node.attrs.get(name);
  if (v === undefined) return undefined;
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return [...(v as number[])];
  throw kernelError(node, `attribute "${name}"`, { expected: 'a list of floats', actual: describeAttr(v) });
}

export function attrStrings(node: N, name: string): string[] | undefined {
  const v = node.attrs.get(name);
  if (v === undefined) return undefined;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return [...(v as string[])];
  throw kernelError(node, `attribute "${name}"`, { expected: 'a list of strings', actual: describeAttr(v) });
}

export function attrTensor(node: N, name: string): Tensor | undefined {
  const v = node.attrs.get(name);
  if (v === undefined) return undefined;
  if (v instanceof Tensor) return v;
  throw kernelError(node, `attribute "${name}"`, { expected: 'a tensor', actual: describeAttr(v) });
}

function describeAttr(v: AttrValue): string {
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (v instanceof Tensor) return `a ${v.dtype} tensor`;
  if (typeof v === 'object') return 'a graph';
  return `${typeof v} ${String(v)}`;
}
