/**
 * One ONNX backend test case on disk: `CASE/model.onnx` plus `CASE/test_data_set_0/{input,output}_N.pb`
 * (TensorProto, or SequenceProto/OptionalProto for sequence and optional values), inputs in the order of the graph
 * inputs that have no initializer, outputs in graph-output order.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeModel, decodeTensor, type Model, type ValueInfo } from '@lowbit/onnx-ir';
import { tensorFromRef, type Value } from '../../values.js';
import { decodeValueProto } from './value-proto.js';

export interface LoadedCase {
  readonly name: string;
  readonly model: Model;
  /** Feeds by graph input name. */
  readonly feeds: Record<string, Value>;
  readonly expected: readonly Value[];
}

/** Thrown when a case's data can't be represented (e.g. map values). Carries the model's op types. */
export class CaseDataError extends Error {
  constructor(message: string, readonly nodeOps: readonly string[]) {
    super(message);
  }
}

function readValue(path: string, v: ValueInfo): Value {
  const b = readFileSync(path);
  const bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  if (v.type && v.type.kind !== 'tensor') return decodeValueProto(bytes, v.type);
  return tensorFromRef(decodeTensor(bytes));
}

export function loadCase(dir: string, name: string): LoadedCase {
  const bytes = readFileSync(join(dir, 'model.onnx'));
  const model = decodeModel(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), { baseDir: dir });
  const nodeOps = [...new Set(model.graph.nodes.map((n) => n.opType))];
  const ds = join(dir, 'test_data_set_0');
  const inits = new Set(model.graph.initializers.map((t) => t.name));
  const inputs = model.graph.inputs.filter((v) => !inits.has(v.name));
  for (const v of [...inputs, ...model.graph.outputs]) {
    const k = v.type?.kind;
    if (k && k !== 'tensor' && k !== 'sequence' && k !== 'optional') throw new CaseDataError(`value "${v.name}" is a ${k}; the runner reads tensors, sequences and optionals`, nodeOps);
  }
  try {
    const feeds: Record<string, Value> = {};
    inputs.forEach((v, i) => {
      const p = join(ds, `input_${i}.pb`);
      if (existsSync(p)) feeds[v.name] = readValue(p, v);
    });
    const expected = model.graph.outputs.map((v, i) => readValue(join(ds, `output_${i}.pb`), v));
    return { name, model, feeds, expected };
  } catch (e) {
    throw new CaseDataError(`cannot read test data: ${(e as Error).message}`, nodeOps);
  }
}
