/**
 * A single-node (or small straight-line graph) driver for the ONNX backend node tests: decodes CASE/model.onnx and
 * test_data_set_0, runs every node through a KernelRegistry in file order, and compares the outputs.
 * Control flow, sequences and ops with no registered kernel make the case "unsupported" (reported, not failed).
 */
import { readFixtureCase } from '@lowbit/testing';
import type { AttrValue, KernelNode } from '../contract.js';
import { keyFor } from '../keys.js';
import type { KernelRegistry } from '../registry.js';
import { freshRunContext } from '../run-context.js';
import { Tensor } from '../tensor.js';
import { toNumbers } from '../ops/util/values.js';
import { caseModel, kernelTensor, UnsupportedCaseError, type CaseModel } from './onnx-case.js';

export type CaseOutcome =
  | { readonly status: 'pass' }
  | { readonly status: 'fail'; readonly message: string }
  | { readonly status: 'unsupported'; readonly message: string };

export interface CompareTolerance { readonly rtol: number; readonly atol: number }

/** The op types of a case's nodes (for per-op accounting). */
export function caseOpTypes(model: CaseModel): string[] {
  return [...new Set(model.nodes.map((n) => n.opType))];
}

/** The case's model and its first data set (read by `readFixtureCase` from @lowbit/testing). */
export function loadCase(dir: string): { model: CaseModel; inputs: Tensor[]; outputs: Tensor[] } {
  const c = readFixtureCase(dir);
  const model = caseModel(c.model); // before the data: sequence/optional/map cases have no tensor data sets
  const set = c.sets[0];
  return { model, inputs: set?.inputs.map(kernelTensor) ?? [], outputs: set?.outputs.map(kernelTensor) ?? [] };
}

/** Runs the model's nodes in order and returns the graph outputs. Throws UnsupportedCaseError for missing kernels. */
export function runModel(model: CaseModel, inputs: readonly Tensor[], registry: KernelRegistry): Tensor[] {
  const values = new Map<string, Tensor>(model.initializers);
  model.inputs.forEach((name, i) => {
    if (inputs[i]) values.set(name, inputs[i]);
  });
  for (const n of model.nodes) {
    if (n.opType === 'Constant' && n.domain === '') {
      values.set(n.outputs[0], constantValue(n.attrs));
      continue;
    }
    const ins = n.inputs.map((name) => (name === '' ? null : values.get(name) ?? null));
    let trailing = n.outputs.length;
    while (trailing > 0 && n.outputs[trailing - 1] === '') trailing--;
    const domain = n.domain === 'ai.onnx' ? '' : n.domain;
    const kn: KernelNode = {
      name: n.name,
      opType: n.opType,
      domain,
      opset: model.opsets.get(domain) ?? model.opsets.get('ai.onnx') ?? 1,
      attrs: n.attrs,
      inputTypes: ins.map((t) => t?.dtype ?? null),
      outputCount: trailing,
    };
    const key = keyFor(kn);
    let variant;
    try {
      variant = registry.resolve(key);
    } catch {
      throw new UnsupportedCaseError(`no kernel for ${key}`);
    }
    const outs = variant.create(kn).run(ins, freshRunContext);
    n.outputs.forEach((name, i) => {
      const t = outs[i];
      if (name !== '' && t) values.set(name, t);
    });
  }
  return model.outputs.map((name) => {
    const t = values.get(name);
    if (!t) throw new Error(`output "${name}" was not produced`);
    return t;
  });
}

function constantValue(attrs: ReadonlyMap<string, AttrValue>): Tensor {
  const v = attrs.get('value');
  if (v instanceof Tensor) return v;
  const one = (name: string) => attrs.get(name);
  if (typeof one('value_float') === 'number') return new Tensor('float32', [one('value_float') as number], []);
  if (one('value_floats')) return new Tensor('float32', one('value_floats') as number[]);
  if (one('value_int') !== undefined) return new Tensor('int64', [BigInt(one('value_int') as number)], []);
  if (one('value_ints')) return new Tensor('int64', (one('value_ints') as number[]).map((x) => BigInt(x)));
  if (typeof one('value_string') === 'string') return new Tensor('string', [one('value_string') as string], []);
  if (one('value_strings')) return new Tensor('string', one('value_strings') as string[]);
  throw new UnsupportedCaseError('Constant without a supported value attribute');
}

/** First mismatch between `actual` and `expected`, or undefined when they agree. */
export function compareTensors(actual: Tensor, expected: Tensor, tol: CompareTolerance): string | undefined {
  if (actual.dtype !== expected.dtype) return `dtype ${actual.dtype}, expected ${expected.dtype}`;
  if (actual.dims.join(',') !== expected.dims.join(',')) return `dims [${actual.dims}], expected [${expected.dims}]`;
  const isFloat = /^(float|bfloat)/.test(expected.dtype);
  if (!isFloat) {
    for (let i = 0; i < expected.data.length; i++) {
      if (actual.data[i] !== expected.data[i]) return `element ${i}: ${String(actual.data[i])}, expected ${String(expected.data[i])}`;
    }
    return undefined;
  }
  const a = toNumbers(actual);
  const e = toNumbers(expected);
  for (let i = 0; i < e.length; i++) {
    const x = a[i];
    const y = e[i];
    if (Number.isNaN(y) && Number.isNaN(x)) continue;
    if (x === y) continue;
    if (!(Math.abs(x - y) <= tol.atol + tol.rtol * Math.abs(y))) return `element ${i}: ${x}, expected ${y}`;
  }
  return undefined;
}

export function runCase(dir: string, registry: KernelRegistry, tol: CompareTolerance = { rtol: 1e-3, atol: 1e-5 }): CaseOutcome {
  let loaded;
  try {
    loaded = loadCase(dir);
  } catch (e) {
    if (e instanceof UnsupportedCaseError) return { status: 'unsupported', message: e.message };
    throw e;
  }
  let outs: Tensor[];
  try {
    outs = runModel(loaded.model, loaded.inputs, registry);
  } catch (e) {
    if (e instanceof UnsupportedCaseError) return { status: 'unsupported', message: e.message };
    return { status: 'fail', message: `threw ${(e as Error).stack ?? String(e)}` };
  }
  for (let i = 0; i < loaded.outputs.length; i++) {
    const msg = outs[i] ? compareTensors(outs[i], loaded.outputs[i], tol) : 'missing';
    if (msg) return { status: 'fail', message: `output ${i}: ${msg}` };
  }
  return { status: 'pass' };
}
