import { dataTypeName, isDefaultDomain, type Dim, type Graph, type Model, type TypeInfo } from '@lowbit/onnx-ir';
import { summarizeQuantization, type QuantizationSummary } from './quantization.js';

export interface ValueSummary {
  readonly name: string;
  readonly dtype: string;
  readonly dims: readonly (number | string | null)[] | null;
}

export interface InspectReport {
  readonly irVersion: number;
  readonly producer: string;
  readonly opsets: readonly { readonly domain: string; readonly version: number }[];
  readonly inputs: readonly ValueSummary[];
  readonly outputs: readonly ValueSummary[];
  readonly nodes: number;
  /** Op type (domain-qualified outside the default domain) -> count, subgraphs included. */
  readonly ops: Readonly<Record<string, number>>;
  readonly parameters: {
    readonly count: number;
    readonly bytes: number;
    readonly byDtype: Readonly<Record<string, { readonly count: number; readonly bytes: number }>>;
  };
  readonly quantization: QuantizationSummary;
}

/** Bits per element of each ONNX data type name (sub-byte types packed). */
const BITS: Readonly<Record<string, number>> = {
  float32: 32, float64: 64, float16: 16, bfloat16: 16, int8: 8, uint8: 8, int16: 16, uint16: 16, int32: 32, uint32: 32,
  int64: 64, uint64: 64, bool: 8, int4: 4, uint4: 4, int2: 2, uint2: 2, float4e2m1: 4,
  float8e4m3fn: 8, float8e4m3fnuz: 8, float8e5m2: 8, float8e5m2fnuz: 8, float8e8m0: 8,
};

/** Everything `lowbit inspect` prints, computed from the IR (initializer bytes are read only for quantized weights). */
export function inspectModel(model: Model): InspectReport {
  const ops: Record<string, number> = {};
  let nodes = 0;
  const count = (g: Graph): void => {
    for (const n of g.nodes) {
      nodes++;
      const key = isDefaultDomain(n.domain) ? n.opType : `${n.domain}.${n.opType}`;
      ops[key] = (ops[key] ?? 0) + 1;
      for (const a of n.attributes) {
        if (a.type === 'graph') count(a.value);
        else if (a.type === 'graphs') a.value.forEach(count);
      }
    }
  };
  count(model.graph);
  const byDtype: Record<string, { count: number; bytes: number }> = {};
  let total = 0;
  let bytes = 0;
  for (const t of model.graph.initializers) {
    const n = t.dims.reduce((a, b) => a * b, 1);
    const name = dataTypeName(t.dtype);
    const b = Math.ceil((n * (BITS[name] ?? 8)) / 8);
    const e = (byDtype[name] ??= { count: 0, bytes: 0 });
    e.count += n;
    e.bytes += b;
    total += n;
    bytes += b;
  }
  const initNames = new Set(model.graph.initializers.map((t) => t.name));
  return {
    irVersion: model.irVersion,
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
    opsets: model.opsetImports.map((o) => ({ domain: o.domain === '' ? 'ai.onnx' : o.domain, version: o.version })),
    inputs: model.graph.inputs.filter((i) => !initNames.has(i.name)).map((v) => summarize(v.name, v.type)),
    outputs: model.graph.outputs.map((v) => summarize(v.name, v.type)),
    nodes,
    ops: Object.fromEntries(Object.entries(ops).sort(([a], [b]) => a.localeCompare(b))),
    parameters: { count: total, bytes, byDtype },
    quantization: summarizeQuantization(model),
  };
}

function summarize(name: string, type: TypeInfo | undefined): ValueSummary {
  if (type && (type.kind === 'tensor' || type.kind === 'sparse-tensor')) {
    return { name, dtype: dataTypeName(type.elemType), dims: type.shape ? type.shape.map((d: Dim) => d) : null };
  }
  return { name, dtype: type?.kind ?? 'unknown', dims: null };
}

/** Human-readable text of a report. */
export function formatInspectReport(path: string, r: InspectReport): string {
  const dims = (v: ValueSummary) => (v.dims ? `[${v.dims.map((d) => d ?? '?').join(', ')}]` : '(unknown shape)');
  const lines = [
    `${path}`,
    `  IR ${r.irVersion}, opsets ${r.opsets.map((o) => `${o.domain} ${o.version}`).join(', ')}${r.producer ? `, produced by ${r.producer}` : ''}`,
    `  inputs:  ${r.inputs.map((v) => `${v.name} ${v.dtype}${dims(v)}`).join(', ')}`,
    `  outputs: ${r.outputs.map((v) => `${v.name} ${v.dtype}${dims(v)}`).join(', ')}`,
    `  ${r.nodes} nodes: ${Object.entries(r.ops).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `  parameters: ${r.parameters.count.toLocaleString('en')} (${formatBytes(r.parameters.bytes)}) ${Object.entries(r.parameters.byDtype).map(([k, v]) => `${k} ${v.count.toLocaleString('en')}`).join(', ')}`,
  ];
  const q = r.quantization;
  if (!q.quantized) lines.push('  quantization: none (float model)');
  else {
    lines.push(`  quantization: ${q.formats.join(' + ')}, ${q.quantizedWeights} quantized weights (${q.weightTypes.join('/')}), ${q.weightGranularity ?? 'n/a'}, ${q.symmetricWeights ? 'symmetric' : 'asymmetric'} weights`);
    if (q.activationTypes.length) lines.push(`  activations: ${q.activationTypes.join('/')}`);
    if (q.weightRange) lines.push(`  weight values in [${q.weightRange.min}, ${q.weightRange.max}]${q.weights7bit === null ? '' : q.weights7bit ? ' (7-bit: exact on AVX2 without VNNI)' : ' (full 8-bit range: AVX2 kernels without VNNI must widen)'}`);
  }
  return lines.join('\n');
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(2)} MiB`;
}
