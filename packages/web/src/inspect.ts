/** The inspect summary shown for the input and the quantized model: node and op counts, weight bytes, file size. */
import { dataTypeBits, dataTypeName, isDefaultDomain, type Model, type TensorRef } from '@lowbit/onnx-ir';

export interface ModelSummary {
  readonly fileBytes: number;
  readonly nodes: number;
  readonly ops: readonly [string, number][];
  readonly initializers: number;
  readonly weightBytes: number;
  /** Bytes of initializers by element type name (e.g. FLOAT, INT8). */
  readonly byType: readonly [string, number][];
  readonly inputs: readonly string[];
  readonly opset: number;
}

function tensorBytes(t: TensorRef): number {
  const n = t.dims.reduce((a, d) => a * Number(d), 1);
  return Math.ceil((n * dataTypeBits(t.dtype)) / 8);
}

export function summarize(m: Model, fileBytes: number): ModelSummary {
  const ops = new Map<string, number>();
  for (const n of m.graph.nodes) ops.set(n.opType, (ops.get(n.opType) ?? 0) + 1);
  const byType = new Map<string, number>();
  let weightBytes = 0;
  for (const t of m.graph.initializers) {
    const b = tensorBytes(t);
    weightBytes += b;
    const k = dataTypeName(t.dtype);
    byType.set(k, (byType.get(k) ?? 0) + b);
  }
  const inits = new Set(m.graph.initializers.map((t) => t.name));
  const opset = m.opsetImports.find((o) => isDefaultDomain(o.domain))?.version ?? 0;
  return {
    fileBytes, nodes: m.graph.nodes.length, ops: [...ops].sort((a, b) => b[1] - a[1]), initializers: m.graph.initializers.length,
    weightBytes, byType: [...byType].sort((a, b) => b[1] - a[1]), inputs: m.graph.inputs.filter((i) => !inits.has(i.name)).map((i) => i.name), opset: Number(opset),
  };
}
