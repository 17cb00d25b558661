/**
 * Converts ONNX models and test cases, read into plain data by @lowbit/testing's fixture reader (the only package
 * kernels' tests may import), into kernel-side structures (Tensor, KernelNode attribute values). Test support only.
 */
import { readFixtureModel, type FixtureAttr, type FixtureModel, type FixtureTensor, type FixtureValue } from '@lowbit/testing';
import type { AttrValue } from '../contract.js';
import { Tensor } from '../tensor.js';
import { DTYPE_OF_ONNX } from '../ops/util/onnx-dtype.js';

export const DTYPE_OF_CODE = DTYPE_OF_ONNX;

export class UnsupportedCaseError extends Error {}

/** A decoded tensor as a kernels Tensor (dtype names from DTYPE_OF_ONNX; complex types are unsupported). */
export function kernelTensor(t: FixtureTensor): Tensor {
  const dtype = DTYPE_OF_CODE[t.dataType];
  if (!dtype) throw new UnsupportedCaseError(`tensor data type ${t.dataType} is not supported`);
  return new Tensor(dtype, t.values() as never, t.dims);
}

export interface CaseNode {
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: ReadonlyMap<string, AttrValue>;
}

export interface CaseModel {
  readonly opsets: ReadonlyMap<string, number>;
  readonly nodes: readonly CaseNode[];
  readonly initializers: ReadonlyMap<string, Tensor>;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

const safe = (v: bigint): boolean => v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER);

/** INT/INTS become numbers when every value is a safe integer, bigints otherwise. */
function attrValue(a: FixtureAttr): AttrValue {
  switch (a.type) {
    case 'float': return a.value;
    case 'int': return safe(a.value) ? Number(a.value) : a.value;
    case 'string': return a.value;
    case 'tensor': return kernelTensor(a.value);
    case 'floats': return [...a.value];
    case 'ints': return a.value.every(safe) ? a.value.map(Number) : [...a.value];
    case 'strings': return [...a.value];
    case 'tensors': return a.value.map(kernelTensor);
    case 'other':
      if (a.kind === 'graph') throw new UnsupportedCaseError('graph attributes (control flow) are not run by the kernel test driver');
      throw new UnsupportedCaseError(`attribute type ${a.kind} is not supported`);
  }
}

function valueName(v: FixtureValue): string {
  if (v.kind !== 'tensor') throw new UnsupportedCaseError('sequence/optional/map values are not run by the kernel test driver');
  return v.name;
}

/** The driver's view of a decoded model; throws UnsupportedCaseError for what the driver does not run. */
export function caseModel(model: FixtureModel): CaseModel {
  const initializers = new Map<string, Tensor>(model.initializers.map((t) => [t.name, kernelTensor(t)]));
  return {
    opsets: new Map(model.opsets.map((o) => [o.domain, o.version])),
    nodes: model.nodes.map((n) => ({
      inputs: n.inputs.map((x) => x ?? ''),
      outputs: n.outputs.map((x) => x ?? ''),
      name: n.name,
      opType: n.opType,
      domain: n.domain,
      attrs: new Map(n.attrs.map((a) => [a.name, attrValue(a)])),
    })),
    initializers,
    inputs: model.inputs.map(valueName).filter((n) => !initializers.has(n)),
    outputs: model.outputs.map(valueName),
  };
}

export function readModelFile(path: string): CaseModel {
  return caseModel(readFixtureModel(path));
}
