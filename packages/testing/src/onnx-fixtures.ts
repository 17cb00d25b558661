/**
 * ONNX fixtures as plain data, for the tests of packages whose module boundary excludes onnx-ir (qparams, kernels
 * and the kernel backends): write a small model from a plain spec, read a model file or an ONNX backend test case into
 * plain data. Element types are TensorProto.DataType codes (1 float, 2 uint8, 3 int8, 6 int32, 7 int64, ...); tensor
 * values follow the kernels' storage convention (see `values()`). onnx-ir does the encoding and decoding behind this
 * API; its objects never cross it, so those tests depend on @lowbit/testing alone.
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { decodeModel, encodeModel, tensorFromValues, tensorValuesSync } from '@lowbit/onnx-ir';
import type { Attr, DataType, InlineTensor, Model, TensorRef, TypeInfo, ValueInfo } from '@lowbit/onnx-ir';
import { readTestCase } from './test-case.js';

/** Element values: typed arrays (bit patterns for float16/bfloat16/float8/float4, one entry per sub-byte element), string[]. */
export type FixtureData =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array | string[];

/** A tensor to write: element values (typed array or plain numbers) or the raw_data bytes. */
export interface FixtureTensorSpec {
  readonly name: string;
  readonly dataType: number;
  readonly dims: readonly number[];
  readonly values?: FixtureData | readonly number[] | readonly bigint[] | readonly boolean[] | readonly string[];
  /** raw_data bytes as ONNX lays them out (e.g. a float8 or int4 tensor given bit for bit). */
  readonly raw?: Uint8Array;
}

/** An attribute to write: ints as number or bigint, floats as float32 numbers. */
export type FixtureAttrSpec =
  | { readonly name: string; readonly type: 'int'; readonly value: number | bigint }
  | { readonly name: string; readonly type: 'float'; readonly value: number }
  | { readonly name: string; readonly type: 'string'; readonly value: string }
  | { readonly name: string; readonly type: 'ints'; readonly value: readonly (number | bigint)[] }
  | { readonly name: string; readonly type: 'floats'; readonly value: readonly number[] }
  | { readonly name: string; readonly type: 'strings'; readonly value: readonly string[] }
  | { readonly name: string; readonly type: 'tensor'; readonly value: FixtureTensorSpec };

/** A graph input or output to write: its element type and, when given, static dims (no shape otherwise). */
export interface FixtureValueSpec {
  readonly name: string;
  readonly elemType: number;
  readonly dims?: readonly number[];
}

export interface FixtureNodeSpec {
  readonly opType: string;
  /** Default '' (ai.onnx). */
  readonly domain?: string;
  readonly name?: string;
  /** null: an omitted optional input. */
  readonly inputs: readonly (string | null)[];
  readonly outputs: readonly string[];
  readonly attrs?: readonly FixtureAttrSpec[];
}

export interface FixtureModelSpec {
  /** Opset of the default domain. */
  readonly opset: number;
  /** Other domains' opset versions, e.g. `{ 'com.microsoft': 1 }`. */
  readonly domains?: Readonly<Record<string, number>>;
  /** Default 10. */
  readonly irVersion?: number;
  readonly nodes: readonly FixtureNodeSpec[];
  readonly inputs: readonly FixtureValueSpec[];
  readonly outputs: readonly FixtureValueSpec[];
  readonly initializers?: readonly FixtureTensorSpec[];
}

function tensorOf(t: FixtureTensorSpec): InlineTensor {
  if ((t.raw === undefined) === (t.values === undefined)) throw new TypeError(`fixture tensor "${t.name}": give exactly one of values and raw`);
  if (t.raw !== undefined) return { kind: 'inline', name: t.name, dtype: t.dataType as DataType, dims: [...t.dims], data: t.raw, encoding: 'raw' };
  return tensorFromValues(t.name, t.dataType as DataType, t.dims, t.values!);
}

function attrOf(a: FixtureAttrSpec): Attr {
  switch (a.type) {
    case 'int': return { name: a.name, type: 'int', value: BigInt(a.value) };
    case 'ints': return { name: a.name, type: 'ints', value: a.value.map((v) => BigInt(v)) };
    case 'float': return { name: a.name, type: 'float', value: Math.fround(a.value) };
    case 'floats': return { name: a.name, type: 'floats', value: a.value.map(Math.fround) };
    case 'string': return { name: a.name, type: 'string', value: a.value };
    case 'strings': return { name: a.name, type: 'strings', value: [...a.value] };
    case 'tensor': return { name: a.name, type: 'tensor', value: tensorOf(a.value) };
  }
}

const valueInfo = (v: FixtureValueSpec): ValueInfo => ({ name: v.name, type: { kind: 'tensor', elemType: v.elemType as DataType, shape: v.dims ? [...v.dims] : undefined } });

/** ModelProto bytes of the spec (nodes in the given order, which must be topological). */
export function encodeFixtureModel(spec: FixtureModelSpec): Uint8Array {
  const model: Model = {
    irVersion: spec.irVersion ?? 10,
    opsetImports: [{ domain: '', version: spec.opset }, ...Object.entries(spec.domains ?? {}).map(([domain, version]) => ({ domain, version }))],
    functions: [],
    metadataProps: [],
    graph: {
      name: 'g',
      nodes: spec.nodes.map((n, i) => ({
        id: `n${i}`, name: n.name ?? `node${i}`, opType: n.opType, domain: n.domain ?? '',
        inputs: [...n.inputs], outputs: [...n.outputs], attributes: (n.attrs ?? []).map(attrOf),
      })),
      inputs: spec.inputs.map(valueInfo),
      outputs: spec.outputs.map(valueInfo),
      initializers: (spec.initializers ?? []).map(tensorOf),
      sparseInitializers: [],
      valueInfo: [],
    },
  };
  return encodeModel(model);
}

/** A tensor read from a model or a test case. `values()` decodes on demand (and throws for what it cannot decode). */
export interface FixtureTensor {
  readonly name: string;
  readonly dataType: number;
  readonly dims: readonly number[];
  values(): FixtureData;
}

/** An attribute read from a model; graphs, sparse tensors and type protos are named by kind only. */
export type FixtureAttr =
  | { readonly name: string; readonly type: 'int'; readonly value: bigint }
  | { readonly name: string; readonly type: 'float'; readonly value: number }
  | { readonly name: string; readonly type: 'string'; readonly value: string }
  | { readonly name: string; readonly type: 'ints'; readonly value: readonly bigint[] }
  | { readonly name: string; readonly type: 'floats'; readonly value: readonly number[] }
  | { readonly name: string; readonly type: 'strings'; readonly value: readonly string[] }
  | { readonly name: string; readonly type: 'tensor'; readonly value: FixtureTensor }
  | { readonly name: string; readonly type: 'tensors'; readonly value: readonly FixtureTensor[] }
  | { readonly name: string; readonly type: 'other'; readonly kind: string };

/** A graph input or output read from a model: `kind` 'tensor' (with its element type) or sequence/map/optional/.... */
export interface FixtureValue {
  readonly name: string;
  readonly kind: string;
  readonly elemType?: number;
}

export interface FixtureNode {
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  /** null: an omitted optional input or output. */
  readonly inputs: readonly (string | null)[];
  readonly outputs: readonly (string | null)[];
  readonly attrs: readonly FixtureAttr[];
}

export interface FixtureModel {
  readonly opsets: readonly { readonly domain: string; readonly version: number }[];
  readonly nodes: readonly FixtureNode[];
  readonly initializers: readonly FixtureTensor[];
  readonly inputs: readonly FixtureValue[];
  readonly outputs: readonly FixtureValue[];
}

function fixtureTensor(t: TensorRef): FixtureTensor {
  let cached: FixtureData | undefined;
  return {
    name: t.name, dataType: t.dtype, dims: [...t.dims],
    values: () => (cached ??= tensorValuesSync(t).data),
  };
}

function fixtureAttr(a: Attr): FixtureAttr {
  switch (a.type) {
    case 'int': case 'float': case 'string': case 'ints': case 'floats': case 'strings':
      return { name: a.name, type: a.type, value: a.value } as FixtureAttr;
    case 'tensor': return { name: a.name, type: 'tensor', value: fixtureTensor(a.value) };
    case 'tensors': return { name: a.name, type: 'tensors', value: a.value.map(fixtureTensor) };
    default: return { name: a.name, type: 'other', kind: a.type };
  }
}

const fixtureValue = (v: ValueInfo): FixtureValue => {
  const t: TypeInfo | undefined = v.type;
  return t?.kind === 'tensor' ? { name: v.name, kind: 'tensor', elemType: t.elemType } : { name: v.name, kind: t?.kind ?? 'tensor' };
};

function fixtureModel(m: Model): FixtureModel {
  const g = m.graph;
  return {
    opsets: m.opsetImports.map((o) => ({ domain: o.domain, version: o.version })),
    nodes: g.nodes.map((n) => ({ name: n.name, opType: n.opType, domain: n.domain, inputs: [...n.inputs], outputs: [...n.outputs], attrs: n.attributes.map(fixtureAttr) })),
    initializers: g.initializers.map(fixtureTensor),
    inputs: g.inputs.map(fixtureValue),
    outputs: g.outputs.map(fixtureValue),
  };
}

/** Decodes ModelProto bytes into plain data (external data, if any, is read relative to `baseDir`). */
export function decodeFixtureModel(bytes: Uint8Array, baseDir?: string): FixtureModel {
  return fixtureModel(decodeModel(bytes, baseDir === undefined ? {} : { baseDir }));
}

/** Reads a model file into plain data. */
export function readFixtureModel(path: string): FixtureModel {
  return fixtureModel(decodeModel(new Uint8Array(readFileSync(path)), { baseDir: dirname(path) }));
}

export interface FixtureCase {
  /** The case folder's name, e.g. `test_abs`. */
  readonly name: string;
  readonly model: FixtureModel;
  /** False when an input or output is not a tensor (its data files are not decoded; `sets` is empty). */
  readonly supported: boolean;
  readonly reason?: string;
  /** One entry per test_data_set_N: the tensors fed to the graph inputs that are not initializers, and the outputs. */
  readonly sets: readonly { readonly name: string; readonly inputs: readonly FixtureTensor[]; readonly outputs: readonly FixtureTensor[] }[];
}

/** Reads an ONNX backend test case folder (`model.onnx` + `test_data_set_N/`) into plain data. */
export function readFixtureCase(dir: string): FixtureCase {
  const c = readTestCase(dir);
  return {
    name: c.name,
    model: fixtureModel(c.model),
    supported: c.supported,
    ...(c.reason !== undefined ? { reason: c.reason } : {}),
    sets: c.sets.map((s) => ({ name: s.name, inputs: s.inputs.map(fixtureTensor), outputs: s.outputs.map(fixtureTensor) })),
  };
}
