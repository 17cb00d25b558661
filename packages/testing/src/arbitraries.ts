/**
 * fast-check arbitraries shared by every package's property tests.
 *
 * Tensors: `arbTensor` draws a dtype, dims and values (floats include NaN, +-Infinity, -0, subnormals; integers span
 * their full range) and gives both the values in the kernels Tensor storage convention and the same tensor as an
 * IR InlineTensor in ONNX raw_data layout (packed by an implementation written here, independent of the codec, so
 * codec tests can compare against it).
 *
 * Graphs: `arbGraph` / `arbModel` draw small valid graphs: a random DAG of elementwise float32 ops over [4]-shaped
 * inputs and initializers, with optional `If` nodes whose branches capture outer values. Every node output may or
 * may not reach a graph output, so dead code and Identity chains occur naturally. `evaluateGraph` (tiny-eval.ts)
 * runs them.
 */
import fc from 'fast-check';
import { DataType } from '@lowbit/onnx-ir';
import type { Graph, InlineTensor, Model, Node } from '@lowbit/onnx-ir';
import { floatTensor, mkModel, vi } from './graph-builder.js';

// ---- tensors -------------------------------------------------------------------------------------------------

/** The data types `arbTensor` draws by default (every numeric ONNX type the kernels represent, plus bool). */
export const TENSOR_DTYPES: readonly DataType[] = [
  DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16, DataType.BFLOAT16,
  DataType.INT8, DataType.UINT8, DataType.INT16, DataType.UINT16, DataType.INT32, DataType.UINT32,
  DataType.INT64, DataType.UINT64, DataType.BOOL,
  DataType.INT4, DataType.UINT4, DataType.INT2, DataType.UINT2,
  DataType.FLOAT8E4M3FN, DataType.FLOAT8E4M3FNUZ, DataType.FLOAT8E5M2, DataType.FLOAT8E5M2FNUZ, DataType.FLOAT8E8M0,
  DataType.FLOAT4E2M1,
];

export type TensorStorage =
  | Float32Array | Float64Array | Uint16Array | Int8Array | Uint8Array | Int16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array;

/** A drawn tensor: values (kernels storage convention) and the same tensor as an IR InlineTensor (raw layout). */
export interface ArbTensor {
  readonly dtype: DataType;
  readonly dims: readonly number[];
  readonly data: TensorStorage;
  readonly tensor: InlineTensor;
}

export interface TensorArbOptions {
  readonly dtypes?: readonly DataType[];
  readonly maxRank?: number;
  readonly maxDim?: number;
  /** Tensor name (default `t`). */
  readonly name?: string;
}

export const arbDims = (maxRank = 3, maxDim = 4): fc.Arbitrary<number[]> =>
  fc.array(fc.integer({ min: 0, max: maxDim }), { minLength: 0, maxLength: maxRank });

/** Values every float test should meet: NaN, both infinities, both zeros, exact .5 ties, float32 edges. */
const SPECIAL_FLOATS: fc.Arbitrary<number> = fc.constantFrom(
  NaN, Infinity, -Infinity, 0, -0, 0.5, -0.5, 1.5, 2.5, -2.5, 3.4028234663852886e38, -3.4028234663852886e38, 1.401298464324817e-45,
);

const int = (min: number, max: number): fc.Arbitrary<number> => fc.integer({ min, max });

/** Element values for one dtype, in its storage convention. */
function elementArb(dtype: DataType): fc.Arbitrary<number | bigint> {
  switch (dtype) {
    // fc.float/fc.double reach NaN, +-Infinity, -0 and subnormals only now and then; mix them in at a steady rate.
    case DataType.FLOAT: return fc.oneof({ arbitrary: SPECIAL_FLOATS, weight: 1 }, { arbitrary: fc.float(), weight: 3 });
    case DataType.DOUBLE: return fc.oneof({ arbitrary: SPECIAL_FLOATS, weight: 1 }, { arbitrary: fc.double(), weight: 3 });
    case DataType.FLOAT16: case DataType.BFLOAT16: case DataType.UINT16: return int(0, 0xffff);
    case DataType.INT8: return int(-128, 127);
    case DataType.UINT8: case DataType.FLOAT8E4M3FN: case DataType.FLOAT8E4M3FNUZ: case DataType.FLOAT8E5M2:
    case DataType.FLOAT8E5M2FNUZ: case DataType.FLOAT8E8M0: return int(0, 255);
    case DataType.INT16: return int(-32768, 32767);
    case DataType.INT32: return int(-0x80000000, 0x7fffffff);
    case DataType.UINT32: return int(0, 0xffffffff);
    case DataType.INT64: return fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
    case DataType.UINT64: return fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    case DataType.BOOL: return int(0, 1);
    case DataType.INT4: return int(-8, 7);
    case DataType.UINT4: case DataType.FLOAT4E2M1: return int(0, 15);
    case DataType.INT2: return int(-2, 1);
    case DataType.UINT2: return int(0, 3);
    default: throw new Error(`arbTensor: unsupported dtype ${dtype}`);
  }
}

function storageFor(dtype: DataType, values: readonly (number | bigint)[]): TensorStorage {
  const nums = values as number[];
  switch (dtype) {
    case DataType.FLOAT: return Float32Array.from(nums);
    case DataType.DOUBLE: return Float64Array.from(nums);
    case DataType.FLOAT16: case DataType.BFLOAT16: case DataType.UINT16: return Uint16Array.from(nums);
    case DataType.INT8: case DataType.INT4: case DataType.INT2: return Int8Array.from(nums);
    case DataType.INT16: return Int16Array.from(nums);
    case DataType.INT32: return Int32Array.from(nums);
    case DataType.UINT32: return Uint32Array.from(nums);
    case DataType.INT64: return BigInt64Array.from(values as bigint[]);
    case DataType.UINT64: return BigUint64Array.from(values as bigint[]);
    default: return Uint8Array.from(nums);
  }
}

/**
 * ONNX raw_data bytes for values in storage convention: little-endian; int4/uint4/float4e2m1 two per byte (element
 * 2k in the low nibble), int2/uint2 four per byte (element 4k in the lowest two bits); bool one byte per element.
 */
export function packRaw(dtype: DataType, data: TensorStorage): Uint8Array {
  const n = data.length;
  const bitsPer = dtype === DataType.INT4 || dtype === DataType.UINT4 || dtype === DataType.FLOAT4E2M1 ? 4
    : dtype === DataType.INT2 || dtype === DataType.UINT2 ? 2 : 0;
  if (bitsPer > 0) {
    const per = 8 / bitsPer;
    const out = new Uint8Array(Math.ceil(n / per));
    const mask = (1 << bitsPer) - 1;
    for (let i = 0; i < n; i++) out[Math.floor(i / per)] |= (Number(data[i]) & mask) << ((i % per) * bitsPer);
    return out;
  }
  const width = data.BYTES_PER_ELEMENT;
  const out = new Uint8Array(n * width);
  const v = new DataView(out.buffer);
  for (let i = 0; i < n; i++) {
    const x = data[i];
    if (data instanceof Float32Array) v.setFloat32(i * 4, x as number, true);
    else if (data instanceof Float64Array) v.setFloat64(i * 8, x as number, true);
    else if (data instanceof BigInt64Array) v.setBigInt64(i * 8, x as bigint, true);
    else if (data instanceof BigUint64Array) v.setBigUint64(i * 8, x as bigint, true);
    else if (width === 1) out[i] = (x as number) & 0xff;
    else if (width === 2) v.setUint16(i * 2, (x as number) & 0xffff, true);
    else v.setUint32(i * 4, (x as number) >>> 0, true);
  }
  return out;
}

/** A tensor of a drawn (or given) dtype, with dims and values; see ArbTensor. */
export function arbTensor(opts: TensorArbOptions = {}): fc.Arbitrary<ArbTensor> {
  const dtypes = opts.dtypes ?? TENSOR_DTYPES;
  return fc.constantFrom(...dtypes).chain((dtype) =>
    arbDims(opts.maxRank ?? 3, opts.maxDim ?? 4).chain((dims) => {
      const size = dims.reduce((a, b) => a * b, 1);
      return fc.array(elementArb(dtype), { minLength: size, maxLength: size }).map((values): ArbTensor => {
        const data = storageFor(dtype, values);
        const tensor: InlineTensor = { kind: 'inline', name: opts.name ?? 't', dtype, dims, data: packRaw(dtype, data), encoding: 'raw' };
        return { dtype, dims, data, tensor };
      });
    }));
}

/** float32 values of a given length, including NaN, +-Infinity, -0 and .5 ties (see SPECIAL_FLOATS). */
export const arbFloat32Values = (length: number): fc.Arbitrary<Float32Array> =>
  fc.array(elementArb(DataType.FLOAT) as fc.Arbitrary<number>, { minLength: length, maxLength: length }).map((v) => Float32Array.from(v));

// ---- graphs --------------------------------------------------------------------------------------------------

/** Elementwise ops arbGraph uses, with their arity. `evaluateGraph` implements each. */
export const GRAPH_OPS = { Add: 2, Sub: 2, Mul: 2, Max: 2, Relu: 1, Neg: 1, Abs: 1, Identity: 1 } as const;
export type GraphOp = keyof typeof GRAPH_OPS;

/** Length of every tensor in drawn graphs (shape [4]). */
export const GRAPH_VECTOR_LENGTH = 4;

export interface GraphArbOptions {
  readonly maxNodes?: number;
  readonly maxInputs?: number;
  readonly maxInitializers?: number;
  /** Also draw `If` nodes (then/else branches capturing outer values) over a bool graph input `cond`. */
  readonly withSubgraphs?: boolean;
}

interface StepRecipe { readonly op: GraphOp; readonly a: number; readonly b: number }
interface NodeRecipe extends StepRecipe { readonly isIf: boolean; readonly then: StepRecipe[]; readonly else: StepRecipe[] }

const opNames = Object.keys(GRAPH_OPS) as GraphOp[];
const stepArb: fc.Arbitrary<StepRecipe> = fc.record({ op: fc.constantFrom(...opNames), a: fc.nat(), b: fc.nat() });

/** A small valid graph; see the file comment. Node ids `n0..`, value names `v<i>` (`v<i>_t<j>`/`_e<j>` in branches). */
export function arbGraph(opts: GraphArbOptions = {}): fc.Arbitrary<Graph> {
  const withIf = opts.withSubgraphs ?? false;
  const nodeArb: fc.Arbitrary<NodeRecipe> = fc.record({
    op: fc.constantFrom(...opNames), a: fc.nat(), b: fc.nat(),
    isIf: withIf ? fc.boolean() : fc.constant(false),
    then: fc.array(stepArb, { minLength: 1, maxLength: 3 }),
    else: fc.array(stepArb, { minLength: 1, maxLength: 3 }),
  });
  return fc.record({
    nInputs: fc.integer({ min: 1, max: opts.maxInputs ?? 3 }),
    inits: fc.array(fc.array(fc.integer({ min: -8, max: 8 }), { minLength: GRAPH_VECTOR_LENGTH, maxLength: GRAPH_VECTOR_LENGTH }),
      { maxLength: opts.maxInitializers ?? 2 }),
    nodes: fc.array(nodeArb, { minLength: 1, maxLength: opts.maxNodes ?? 8 }),
    outPicks: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
  }).map(({ nInputs, inits, nodes, outPicks }) => buildGraph(nInputs, inits, nodes, outPicks, withIf));
}

function stepNode(s: StepRecipe, avail: readonly string[], id: string, out: string): Node {
  const arity = GRAPH_OPS[s.op];
  const inputs = arity === 1 ? [avail[s.a % avail.length]] : [avail[s.a % avail.length], avail[s.b % avail.length]];
  return { id, name: id, opType: s.op, domain: '', inputs, outputs: [out], attributes: [] };
}

function buildGraph(nInputs: number, inits: number[][], recipes: NodeRecipe[], outPicks: number[], withIf: boolean): Graph {
  const inputs = Array.from({ length: nInputs }, (_, i) => vi(`x${i}`));
  const initializers = inits.map((vals, i) => floatTensor(`w${i}`, [GRAPH_VECTOR_LENGTH], vals));
  const avail = [...inputs.map((i) => i.name), ...initializers.map((t) => t.name)];
  const nodes: Node[] = [];
  recipes.forEach((r, i) => {
    const out = `v${i}`;
    if (!r.isIf) {
      nodes.push(stepNode(r, avail, `n${i}`, out));
    } else {
      const branch = (steps: StepRecipe[], tag: 't' | 'e'): Graph => {
        const local = [...avail];
        const bn = steps.map((s, j) => {
          const n = stepNode(s, local, `${tag}${j}`, `v${i}_${tag}${j}`);
          local.push(n.outputs[0]!);
          return n;
        });
        const last = bn[bn.length - 1].outputs[0]!;
        return { name: `${out}_${tag === 't' ? 'then' : 'else'}`, inputs: [], outputs: [vi(last)], initializers: [], sparseInitializers: [], nodes: bn, valueInfo: [] };
      };
      nodes.push({
        id: `n${i}`, name: `n${i}`, opType: 'If', domain: '', inputs: ['cond'], outputs: [out],
        attributes: [{ name: 'then_branch', type: 'graph', value: branch(r.then, 't') }, { name: 'else_branch', type: 'graph', value: branch(r.else, 'e') }],
      });
    }
    avail.push(out);
  });
  const produced = nodes.map((n) => n.outputs[0]!);
  const outNames = [...new Set(outPicks.map((k) => produced[k % produced.length]))];
  return {
    name: 'main',
    inputs: withIf ? [...inputs, vi('cond', DataType.BOOL, [])] : inputs,
    outputs: outNames.map((n) => vi(n)),
    initializers, sparseInitializers: [], nodes, valueInfo: [],
  };
}

/** A Model (IR 8, opset 17) around `arbGraph`. */
export function arbModel(opts: GraphArbOptions = {}): fc.Arbitrary<Model> {
  return arbGraph(opts).map((g) => mkModel(g));
}
