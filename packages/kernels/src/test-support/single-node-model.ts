/**
 * Builds a single-node ONNX model (ModelProto bytes) for comparing a kernel with another runtime in tests, with
 * @lowbit/testing's fixture writer. Inputs and outputs are declared with their element type (and, for inputs, the
 * dims when given).
 */
import { encodeFixtureModel, type FixtureAttrSpec, type FixtureValueSpec } from '@lowbit/testing';
import type { AttrValue } from '../contract.js';
import { Tensor, type DType } from '../tensor.js';
import { DTYPE_OF_ONNX } from '../ops/util/onnx-dtype.js';

export interface SingleNodeSpec {
  readonly opType: string;
  readonly opset: number;
  /** The node's domain (default '' = ai.onnx); a non-default domain is imported at version `domainOpset` (1). */
  readonly domain?: string;
  readonly domainOpset?: number;
  /**
   * Input names and dtypes (and, when given, static dims) in node order; null for an omitted optional input. An
   * input with a `value` becomes an initializer (a constant, as contrib kernels that pre-pack weights require).
   */
  readonly inputs: readonly ({ readonly name: string; readonly dtype: DType; readonly dims?: readonly number[]; readonly value?: Tensor } | null)[];
  readonly outputs: readonly { readonly name: string; readonly dtype: DType }[];
  readonly attrs?: Readonly<Record<string, AttrValue>>;
  /** Names of attributes whose numbers are floats even when integral (e.g. clip: 1). */
  readonly floatAttrs?: readonly string[];
}

const CODE_OF: ReadonlyMap<DType, number> = new Map(Object.entries(DTYPE_OF_ONNX).map(([k, v]) => [v, Number(k)]));

export function onnxCode(dtype: DType): number {
  const c = CODE_OF.get(dtype);
  if (c === undefined) throw new TypeError(`no ONNX code for ${dtype}`);
  return c;
}

/** Integral numbers become INT/INTS unless `asFloat`; any non-integral number makes FLOAT/FLOATS. */
function attr(name: string, v: AttrValue, asFloat: boolean): FixtureAttrSpec {
  if (typeof v === 'number' || typeof v === 'bigint') {
    if (asFloat || (typeof v === 'number' && !Number.isInteger(v))) return { name, type: 'float', value: Math.fround(Number(v)) };
    return { name, type: 'int', value: BigInt(v) };
  }
  if (typeof v === 'string') return { name, type: 'string', value: v };
  if (v instanceof Tensor) throw new TypeError('tensor attributes are not supported by the test model writer');
  if (Array.isArray(v)) {
    if (v.length > 0 && typeof v[0] === 'string') return { name, type: 'strings', value: [...(v as string[])] };
    if (asFloat || (v as number[]).some((x) => typeof x === 'number' && !Number.isInteger(x))) {
      return { name, type: 'floats', value: (v as number[]).map((x) => Math.fround(Number(x))) };
    }
    return { name, type: 'ints', value: (v as (number | bigint)[]).map((x) => BigInt(x)) };
  }
  throw new TypeError(`attribute ${name}: unsupported value`);
}

function valueInfo(name: string, dtype: DType, dims?: readonly number[]): FixtureValueSpec {
  return { name, elemType: onnxCode(dtype), ...(dims ? { dims } : {}) };
}

export function singleNodeModel(spec: SingleNodeSpec): Uint8Array {
  return encodeFixtureModel({
    irVersion: 8,
    opset: spec.opset,
    ...(spec.domain ? { domains: { [spec.domain]: spec.domainOpset ?? 1 } } : {}),
    nodes: [{
      name: 'node', opType: spec.opType, domain: spec.domain ?? '',
      inputs: spec.inputs.map((i) => i?.name ?? null),
      outputs: spec.outputs.map((o) => o.name),
      attrs: Object.entries(spec.attrs ?? {}).map(([k, v]) => attr(k, v, spec.floatAttrs?.includes(k) ?? false)),
    }],
    inputs: spec.inputs.filter((i) => i !== null && !i.value).map((i) => valueInfo(i!.name, i!.dtype, i!.dims)),
    outputs: spec.outputs.map((o) => valueInfo(o.name, o.dtype)),
    initializers: spec.inputs.filter((i) => i?.value).map((i) => ({ name: i!.name, dataType: onnxCode(i!.dtype), dims: i!.value!.dims, values: i!.value!.data as Float32Array })),
  });
}
