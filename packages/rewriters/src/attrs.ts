/** Small helpers to read and build node attributes (ints as bigint in the IR, numbers here). */
import type { Attr, Node } from '@lowbit/onnx-ir';

export function findAttr(node: Node, name: string): Attr | undefined {
  return node.attributes.find((a) => a.name === name);
}

export function readInt(node: Node, name: string, dflt: number): number {
  const a = findAttr(node, name);
  return a && a.type === 'int' ? Number(a.value) : dflt;
}

export function readFloat(node: Node, name: string, dflt: number): number {
  const a = findAttr(node, name);
  return a && a.type === 'float' ? a.value : dflt;
}

export function readInts(node: Node, name: string): number[] | undefined {
  const a = findAttr(node, name);
  return a && a.type === 'ints' ? a.value.map(Number) : undefined;
}

export function readFloats(node: Node, name: string): number[] | undefined {
  const a = findAttr(node, name);
  return a && a.type === 'floats' ? [...a.value] : undefined;
}

export function readString(node: Node, name: string, dflt: string): string {
  const a = findAttr(node, name);
  return a && a.type === 'string' ? a.value : dflt;
}

export const intAttr = (name: string, v: number): Attr => ({ name, type: 'int', value: BigInt(v) });
export const intsAttr = (name: string, v: readonly number[]): Attr => ({ name, type: 'ints', value: v.map((x) => BigInt(x)) });
export const floatAttr = (name: string, v: number): Attr => ({ name, type: 'float', value: v });
export const stringAttr = (name: string, v: string): Attr => ({ name, type: 'string', value: v });

/** `attrs` without the named ones. */
export function withoutAttrs(attrs: readonly Attr[], ...names: string[]): Attr[] {
  return attrs.filter((a) => !names.includes(a.name));
}
