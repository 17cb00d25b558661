/**
 * ONNX node test cases for the qparams tests, read with `readFixtureCase` from @lowbit/testing (plain data) and
 * flattened to plain numbers. qparams itself has no internal dependencies; only its tests use @lowbit/testing.
 */
import { basename } from 'node:path';
import { listNodeTestCases, readFixtureCase, type FixtureTensor } from '@lowbit/testing';

/**
 * A test tensor: `values` as plain numbers in the kernels' storage convention, i.e. integers for integer types
 * (sub-byte types unpacked and sign-extended, int64 as numbers), bit patterns for float16/bfloat16/float8/float4,
 * float values for float32/float64.
 */
export interface TestTensor {
  readonly name: string;
  readonly dataType: number;
  readonly dims: number[];
  readonly values: number[];
}

/** TensorProto.DataType codes used here. */
export const DT = {
  FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, FLOAT16: 10, DOUBLE: 11, BFLOAT16: 16,
  FLOAT8E4M3FN: 17, FLOAT8E4M3FNUZ: 18, FLOAT8E5M2: 19, FLOAT8E5M2FNUZ: 20, UINT4: 21, INT4: 22, FLOAT4E2M1: 23,
  FLOAT8E8M0: 24, UINT2: 25, INT2: 26,
} as const;

/** One ONNX node test case: its node's attributes, the default-domain opset, and the tensors of data set 0. */
export interface OnnxCase {
  readonly name: string;
  readonly opset: number;
  readonly opType: string;
  /** INT attributes (axis, block_size, saturate, output_dtype, precision, ...). */
  readonly ints: Readonly<Record<string, number>>;
  /** STRING attributes (round_mode, ...). */
  readonly strings: Readonly<Record<string, string>>;
  readonly inputs: TestTensor[];
  readonly outputs: TestTensor[];
}

function testTensor(t: FixtureTensor): TestTensor {
  const data = t.values();
  if (Array.isArray(data)) throw new Error(`tensor ${t.name}: string tensors are not used by the qparams tests`);
  return { name: t.name, dataType: t.dataType, dims: [...t.dims], values: Array.from(data as ArrayLike<number | bigint>, Number) };
}

/** Reads `dir` (model.onnx + test_data_set_0). `wantOps` picks the node whose INT attributes are returned. */
export function readOnnxCase(dir: string, wantOps: readonly string[]): OnnxCase {
  const c = readFixtureCase(dir);
  const opset = c.model.opsets.filter((o) => o.domain === '' || o.domain === 'ai.onnx').at(-1)?.version ?? 0;
  const node = c.model.nodes.find((n) => wantOps.includes(n.opType));
  const ints: Record<string, number> = {};
  const strings: Record<string, string> = {};
  for (const a of node?.attrs ?? []) {
    if (a.type === 'int') ints[a.name] = Number(a.value);
    else if (a.type === 'string') strings[a.name] = a.value;
  }
  const set = c.sets[0];
  if (!set) throw new Error(`${dir}: no test_data_set`);
  return { name: basename(dir), opset, opType: node?.opType ?? '', ints, strings, inputs: set.inputs.map(testTensor), outputs: set.outputs.map(testTensor) };
}

/** Case folders under `base` whose name starts with `prefix`. */
export function listCases(base: string, prefix: string): string[] {
  return listNodeTestCases(base, (n) => n.startsWith(prefix));
}
