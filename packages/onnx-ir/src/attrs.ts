/**
 * Typed reads of node attributes, and small constructors for building them.
 *
 * Readers return plain JS values: ints as `number` (ONNX stores int64; a value outside the safe-integer range is a
 * NodeError rather than a silent rounding), floats as `number`. A present attribute of the wrong type is a
 * NodeError naming the node, the attribute, and expected vs actual type. A missing attribute returns the given
 * default, or is a NodeError when no default is given.
 */
import { NodeError } from './errors-pass.js';
import type { Attr, AttrType, Graph, Node, TensorRef } from './types.js';

/** The attribute named `name`, or undefined. */
export function getAttr(node: Node, name: string): Attr | undefined {
  return node.attributes.find((a) => a.name === name);
}

/** True when the node has an attribute named `name`. */
export function hasAttr(node: Node, name: string): boolean {
  return getAttr(node, name) !== undefined;
}

type ValueOf<T extends AttrType> = Extract<Attr, { type: T }> extends { value: infer V } ? V : never;

function read<T extends AttrType>(node: Node, name: string, type: T, hasFallback: boolean): ValueOf<T> | undefined {
  const a = getAttr(node, name);
  if (a === undefined) {
    if (hasFallback) return undefined;
    throw new NodeError(node, `attribute "${name}" is missing (expected ${type})`, { attribute: name });
  }
  if (a.type !== type) throw new NodeError(node, `attribute "${name}" has type ${a.type}, expected ${type}`, { attribute: name });
  return (a as Extract<Attr, { type: T }> & { value: ValueOf<T> }).value;
}

function toNumber(node: Node, name: string, v: bigint): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new NodeError(node, `attribute "${name}" value ${v} is outside the safe integer range`, { attribute: name });
  return n;
}

/** An `int` attribute as a number (`default` when absent; NodeError when absent and no default). */
export function attrInt(node: Node, name: string, ...dflt: [] | [number]): number {
  const v = read(node, name, 'int', dflt.length > 0);
  return v === undefined ? dflt[0]! : toNumber(node, name, v);
}

/** An `int` attribute as the bigint ONNX stores. */
export function attrBigInt(node: Node, name: string, ...dflt: [] | [bigint]): bigint {
  const v = read(node, name, 'int', dflt.length > 0);
  return v === undefined ? dflt[0]! : v;
}

export function attrFloat(node: Node, name: string, ...dflt: [] | [number]): number {
  const v = read(node, name, 'float', dflt.length > 0);
  return v === undefined ? dflt[0]! : v;
}

export function attrString(node: Node, name: string, ...dflt: [] | [string]): string {
  const v = read(node, name, 'string', dflt.length > 0);
  return v === undefined ? dflt[0]! : v;
}

/** An `ints` attribute as numbers. */
export function attrInts(node: Node, name: string, ...dflt: [] | [readonly number[]]): number[] {
  const v = read(node, name, 'ints', dflt.length > 0);
  return v === undefined ? [...dflt[0]!] : v.map((x) => toNumber(node, name, x));
}

export function attrFloats(node: Node, name: string, ...dflt: [] | [readonly number[]]): number[] {
  const v = read(node, name, 'floats', dflt.length > 0);
  return v === undefined ? [...dflt[0]!] : [...v];
}

export function attrStrings(node: Node, name: string, ...dflt: [] | [readonly string[]]): string[] {
  const v = read(node, name, 'strings', dflt.length > 0);
  return v === undefined ? [...dflt[0]!] : [...v];
}

/** A `tensor` attribute (NodeError when absent: tensors have no sensible default). */
export function attrTensor(node: Node, name: string): TensorRef {
  return read(node, name, 'tensor', false)!;
}

/** A `graph` attribute (If branches, Loop/Scan bodies). */
export function attrGraph(node: Node, name: string): Graph {
  return read(node, name, 'graph', false)!;
}

// ---- constructors --------------------------------------------------------------------------------------------

/** An `int` attribute; a number must be a safe integer. */
export function intAttr(name: string, value: number | bigint): Attr {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new RangeError(`intAttr "${name}": ${value} is not a safe integer`);
  return { name, type: 'int', value: BigInt(value) };
}

export function intsAttr(name: string, values: readonly (number | bigint)[]): Attr {
  for (const v of values) if (typeof v === 'number' && !Number.isSafeInteger(v)) throw new RangeError(`intsAttr "${name}": ${v} is not a safe integer`);
  return { name, type: 'ints', value: values.map((v) => BigInt(v)) };
}

/** A `float` attribute; ONNX stores float32, so the value is rounded to float32 here (Math.fround). */
export function floatAttr(name: string, value: number): Attr {
  return { name, type: 'float', value: Math.fround(value) };
}

export function floatsAttr(name: string, values: readonly number[]): Attr {
  return { name, type: 'floats', value: values.map((v) => Math.fround(v)) };
}

export function stringAttr(name: string, value: string): Attr {
  return { name, type: 'string', value };
}

export function stringsAttr(name: string, values: readonly string[]): Attr {
  return { name, type: 'strings', value: [...values] };
}

export function tensorAttr(name: string, value: TensorRef): Attr {
  return { name, type: 'tensor', value };
}

export function graphAttr(name: string, value: Graph): Attr {
  return { name, type: 'graph', value };
}
