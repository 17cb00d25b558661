/**
 * Reader for ONNX backend test cases: `CASE/model.onnx` plus `CASE/test_data_set_N/{input,output}_K.pb`
 * (TensorProto files). Used by every package that checks itself against the ONNX node tests.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { decodeModel, decodeTensor, type Model, type TensorRef, type ValueInfo } from '@lowbit/onnx-ir';

export interface TestDataSet {
  /** Folder name, e.g. `test_data_set_0`. */
  readonly name: string;
  /** One tensor per graph input that is not an initializer, in graph order, named after that input. */
  readonly inputs: TensorRef[];
  /** One tensor per graph output, in graph order, named after that output. */
  readonly outputs: TensorRef[];
}

export interface TestCase {
  /** The case folder's name, e.g. `test_abs`. */
  readonly name: string;
  readonly dir: string;
  readonly modelPath: string;
  readonly modelBytes: Uint8Array;
  readonly model: Model;
  /**
   * False when an input or output is not a tensor (sequence, map, optional): such values are stored as
   * SequenceProto/MapProto/OptionalProto, which this reader does not decode; `sets` is then empty.
   */
  readonly supported: boolean;
  /** Why the case is unsupported, when it is. */
  readonly reason?: string;
  readonly sets: TestDataSet[];
}

function numbered(dir: string, prefix: string): string[] {
  const re = new RegExp(`^${prefix}_(\\d+)\\.pb$`);
  return readdirSync(dir)
    .map((f) => [f, re.exec(f)] as const)
    .filter((x): x is readonly [string, RegExpExecArray] => x[1] !== null)
    .sort((a, b) => Number(a[1][1]) - Number(b[1][1]))
    .map(([f]) => join(dir, f));
}

function readSet(dir: string, kind: 'input' | 'output', decl: readonly ValueInfo[]): TensorRef[] {
  const files = numbered(dir, kind);
  if (files.length > decl.length) {
    throw new Error(`test case ${dir}: ${files.length} ${kind} files but the graph declares ${decl.length} ${kind}s`);
  }
  return files.map((f, i) => ({ ...decodeTensor(new Uint8Array(readFileSync(f)), { baseDir: dir }), name: decl[i]!.name }));
}

/** Reads one test case folder (synchronously; the files are small). */
export function readTestCase(dir: string): TestCase {
  const modelPath = join(dir, 'model.onnx');
  const modelBytes = new Uint8Array(readFileSync(modelPath));
  const model = decodeModel(modelBytes, { baseDir: dir });
  const inits = new Set(model.graph.initializers.map((t) => t.name));
  const inputs = model.graph.inputs.filter((v) => !inits.has(v.name));
  const outputs = model.graph.outputs;
  const nonTensor = [...inputs, ...outputs].filter((v) => v.type !== undefined && v.type.kind !== 'tensor');
  const base = { name: basename(dir), dir, modelPath, modelBytes, model };
  if (nonTensor.length > 0) {
    return { ...base, supported: false, reason: `non-tensor values: ${nonTensor.map((v) => `${v.name} (${v.type!.kind})`).join(', ')}`, sets: [] };
  }
  const sets = readdirSync(dir)
    .filter((s) => /^test_data_set_\d+$/.test(s))
    .sort((a, b) => Number(a.slice(14)) - Number(b.slice(14)))
    .map((s) => ({ name: s, inputs: readSet(join(dir, s), 'input', inputs), outputs: readSet(join(dir, s), 'output', outputs) }));
  return { ...base, supported: true, sets };
}

/**
 * Reads an onnx-light model (`root/NAME.onnx`, `root/inputs/NAME_input_K.pb`, `root/NAME_output_K.pb`) as a test case
 * with one data set, in the same shape as {@link readTestCase}.
 */
export function readLightCase(root: string, name: string): TestCase {
  const modelPath = join(root, `${name}.onnx`);
  const modelBytes = new Uint8Array(readFileSync(modelPath));
  const model = decodeModel(modelBytes, { baseDir: root });
  const inits = new Set(model.graph.initializers.map((t) => t.name));
  const inputs = model.graph.inputs.filter((v) => !inits.has(v.name));
  const read = (dir: string, prefix: string, decl: readonly ValueInfo[]): TensorRef[] =>
    numbered(dir, prefix).map((f, i) => ({ ...decodeTensor(new Uint8Array(readFileSync(f)), { baseDir: dir }), name: decl[i]!.name }));
  const set = { name: 'light', inputs: read(join(root, 'inputs'), `${name}_input`, inputs), outputs: read(root, `${name}_output`, model.graph.outputs) };
  return { name, dir: root, modelPath, modelBytes, model, supported: true, sets: [set] };
}

/** Names of the onnx-light models under `root` (`light_bvlc_alexnet`, ...). */
export function listLightCases(root: string): string[] {
  return readdirSync(root).filter((f) => f.endsWith('.onnx')).map((f) => f.slice(0, -5)).sort();
}

/** Case folders (absolute paths, sorted by name) under `root` that hold a `model.onnx`. */
export function listNodeTestCases(root: string, filter?: (name: string) => boolean): string[] {
  if (!existsSync(root)) throw new Error(`testing: test case folder not found: ${root}`);
  return readdirSync(root)
    .sort()
    .filter((c) => (filter === undefined || filter(c)) && existsSync(join(root, c, 'model.onnx')))
    .map((c) => join(root, c));
}
