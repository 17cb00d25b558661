/**
 * How much of a model was quantized, recorded in the written model's metadata (`lowbit.coverage`, JSON) and read back
 * with `coverageOf(model)`: compute nodes (Conv, ConvTranspose, MatMul, Gemm, LSTM, GRU, RNN (GRU/RNN not in static mode) and their integer forms)
 * counted at every depth (If/Loop/Scan bodies included), how many of them compute on quantized data, how many sit in
 * control-flow bodies, the nodes kept float on purpose (with the reason), and warnings when nothing or little
 * (under half of the compute nodes) was quantized, saying why as far as it can be told, or (static) when a body's
 * nodes stay float because no calibration batch took that branch.
 */
import type { Graph, Model, StringEntry } from '@lowbit/onnx-ir';
import { canonicalJson } from './canonical-json.js';

export const COVERAGE_KEY = 'lowbit.coverage';

const FLOAT_COMPUTE = new Set(['Conv', 'ConvTranspose', 'MatMul', 'Gemm', 'LSTM', 'GRU', 'RNN']);
const INTEGER_COMPUTE = new Set(['QLinearConv', 'QLinearMatMul', 'MatMulInteger', 'ConvInteger', 'MatMulNBits', 'DynamicQuantizeLSTM', 'QGemm']);

/** A node kept float on purpose, and why (e.g. it feeds a Log: see sensitive-ops.ts). */
export interface KeptFloat {
  readonly node: string;
  readonly reason: string;
}

export interface Coverage {
  /** Compute nodes in the model, at every depth. */
  readonly computeNodes: number;
  /** Of those, how many compute on quantized data (integer ops, or reading a DequantizeLinear output). */
  readonly quantizedCompute: number;
  /** Compute nodes inside control-flow bodies, and how many of those are quantized. */
  readonly inBodies: number;
  readonly quantizedInBodies: number;
  readonly keptFloat: readonly KeptFloat[];
  /** Empty when most compute nodes were quantized. */
  readonly warnings: readonly string[];
}

/** Counts the coverage of a quantized model (see the file comment). */
export function measureCoverage(m: Model, keptFloat: readonly KeptFloat[] = [], mode = 'static'): Coverage {
  // static mode quantizes LSTMs as in dynamic mode (or leaves them, `lstm: 'float'`), GRU/RNN not at all: not counted
  const floatCompute = mode === 'static' ? new Set(['Conv', 'ConvTranspose', 'MatMul', 'Gemm', 'LSTM']) : FLOAT_COMPUTE;
  const kept = new Set(keptFloat.map((k) => k.node));
  let keptInBodies = 0;
  let computeNodes = 0, quantizedCompute = 0, inBodies = 0, quantizedInBodies = 0;
  const walk = (g: Graph, depth: number): void => {
    const dq = new Set(g.nodes.filter((n) => n.opType === 'DequantizeLinear').flatMap((n) => n.outputs.filter((o): o is string => !!o)));
    for (const n of g.nodes) {
      const integer = INTEGER_COMPUTE.has(n.opType);
      if (integer || floatCompute.has(n.opType)) {
        const q = integer || n.inputs.some((i) => i !== null && dq.has(i));
        computeNodes++;
        if (q) quantizedCompute++;
        if (depth > 0) {
          inBodies++;
          if (q) quantizedInBodies++;
          else if (kept.has(n.name)) keptInBodies++;
        }
      }
      for (const a of n.attributes) {
        if (a.type === 'graph') walk(a.value, depth + 1);
        else if (a.type === 'graphs') for (const sg of a.value) walk(sg, depth + 1);
      }
    }
  };
  walk(m.graph, 0);
  const warnings: string[] = [];
  const why: string[] = [];
  if (inBodies > quantizedInBodies + keptInBodies) why.push(`${inBodies - quantizedInBodies - keptInBodies} others sit inside If/Loop/Scan bodies (a branch no calibration batch took stays float)`);
  if (keptFloat.length > 0) why.push(`${keptFloat.length} kept float on purpose (numerically sensitive; see keptFloat)`);
  if (computeNodes === 0) warnings.push('nothing to quantize: the model has no Conv/MatMul/Gemm/LSTM/GRU/RNN nodes');
  else if (quantizedCompute === 0) warnings.push(`nothing was quantized: none of the ${computeNodes} compute nodes${why.length ? `; ${why.join('; ')}` : ` (excluded by the node/op selection, or not supported in ${mode} mode)`}`);
  else if (2 * quantizedCompute < computeNodes) warnings.push(`little was quantized: ${quantizedCompute} of ${computeNodes} compute nodes${why.length ? `; ${why.join('; ')}` : ''}`);
  else if (mode === 'static' && inBodies > quantizedInBodies + keptInBodies) {
    warnings.push(`${inBodies - quantizedInBodies - keptInBodies} of the ${inBodies} compute nodes inside If/Loop/Scan bodies stay float: a branch no calibration batch took (calibrate with inputs that take it)`);
  }
  return { computeNodes, quantizedCompute, inBodies, quantizedInBodies, keptFloat, warnings };
}

/** `m` with its coverage recorded under `lowbit.coverage` (replacing an older entry). */
export function withCoverage(m: Model, c: Coverage): Model {
  const entry: StringEntry = { key: COVERAGE_KEY, value: canonicalJson(c) };
  return { ...m, metadataProps: [...m.metadataProps.filter((e) => e.key !== COVERAGE_KEY), entry] };
}

/** The coverage recorded in a model written by quantizeStatic/Dynamic/WeightOnly, or undefined. */
export function coverageOf(m: Model): Coverage | undefined {
  const e = m.metadataProps.find((p) => p.key === COVERAGE_KEY);
  return e ? (JSON.parse(e.value) as Coverage) : undefined;
}
