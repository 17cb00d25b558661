/**
 * How much of a model's weight is quantized, and how many bytes its weights take, read from the IR (no I/O: only
 * dims and dtypes). Used by the accuracy tuner's trial report.
 *
 * A compute node's weight is its constant input: input 1 of Conv, ConvTranspose, MatMul, Gemm, ConvInteger,
 * MatMulInteger and MatMulNBits, input 3 of QLinearConv, QLinearMatMul and QGemm. It counts as quantized when the
 * node is an integer op or the input comes from a DequantizeLinear of a constant, as float when it is a float
 * initializer or Constant output; an activation (a MatMul of two activations) is not a weight and counts for nothing.
 * Elements are counted, not bytes (MatMulNBits: `K * N` from its attributes). Control-flow bodies are included.
 */
import { dataTypeBits, elementCount, graphIndex, subgraphsOf } from '@lowbit/onnx-ir';
import type { Graph, Model, Node } from '@lowbit/onnx-ir';

export interface WeightCount {
  /** Weight elements stored quantized. */
  readonly quantized: number;
  /** Every weight element of a compute node, quantized or float. */
  readonly total: number;
}

const WEIGHT_INPUT: Readonly<Record<string, number>> = {
  Conv: 1, ConvTranspose: 1, MatMul: 1, Gemm: 1,
  ConvInteger: 1, MatMulInteger: 1, MatMulNBits: 1, QLinearConv: 3, QLinearMatMul: 3, QGemm: 3,
};
const INTEGER = new Set(['ConvInteger', 'MatMulInteger', 'MatMulNBits', 'QLinearConv', 'QLinearMatMul', 'QGemm']);

/** Quantized and total weight elements of the compute nodes of `m` (see the file comment). */
export function countWeights(m: Model): WeightCount {
  let quantized = 0, total = 0;
  const walk = (g: Graph): void => {
    const idx = graphIndex(g);
    /** Elements of the constant `v` (an initializer or a Constant output), or undefined when `v` is not constant. */
    const constant = (v: string): number | undefined => {
      const t = idx.initializer(v);
      if (t && !idx.input(v)) return elementCount(t.dims);
      const p = idx.producer(v)?.node;
      if (p?.opType === 'Constant') {
        const a = p.attributes.find((x) => x.name === 'value');
        return a?.type === 'tensor' ? elementCount(a.value.dims) : undefined;
      }
      return undefined;
    };
    for (const n of g.nodes) {
      for (const sg of subgraphsOf(n)) walk(sg);
      const k = WEIGHT_INPUT[n.opType];
      const w = k === undefined ? null : n.inputs[k] ?? null;
      if (w === null) continue;
      if (n.opType === 'MatMulNBits') {
        const e = nBitsElements(n);
        quantized += e;
        total += e;
        continue;
      }
      const direct = constant(w);
      if (direct !== undefined) {
        total += direct;
        if (INTEGER.has(n.opType)) quantized += direct;
        continue;
      }
      const p = idx.producer(w)?.node;
      if (p?.opType === 'DequantizeLinear' && p.inputs[0]) {
        const e = constant(p.inputs[0]);
        if (e !== undefined) {
          total += e;
          quantized += e;
        }
      }
    }
  };
  walk(m.graph);
  return { quantized, total };
}

function nBitsElements(n: Node): number {
  const int = (name: string): number => {
    const a = n.attributes.find((x) => x.name === name);
    return a?.type === 'int' ? Number(a.value) : 0;
  };
  return int('K') * int('N');
}

/** Bytes the initializers (every depth) and Constant tensors of `m` take in ONNX raw layout. */
export function weightBytes(m: Model): number {
  let bytes = 0;
  const size = (t: { readonly dtype: number; readonly dims: readonly number[] }): number => Math.ceil((dataTypeBits(t.dtype) * elementCount(t.dims)) / 8);
  const walk = (g: Graph): void => {
    for (const t of g.initializers) bytes += size(t);
    for (const n of g.nodes) {
      if (n.opType === 'Constant') for (const a of n.attributes) if (a.type === 'tensor') bytes += size(a.value);
      for (const sg of subgraphsOf(n)) walk(sg);
    }
  };
  walk(m.graph);
  return bytes;
}
