import { dataTypeName, normalizeDomain, tensorValuesSync, type Graph, type Model, type Node, type TensorRef } from '@lowbit/onnx-ir';

export type QuantFormat = 'qdq' | 'qoperator' | 'dynamic' | 'weight-only';

export interface QuantizationSummary {
  readonly quantized: boolean;
  readonly formats: readonly QuantFormat[];
  /** How weight scales are laid out: one scale, one per output channel, one per block; 'mixed' when both appear. */
  readonly weightGranularity: 'per-tensor' | 'per-channel' | 'per-block' | 'mixed' | null;
  /** True when every quantized weight has zero point 0 (signed) or the midpoint (unsigned). */
  readonly symmetricWeights: boolean | null;
  readonly weightTypes: readonly string[];
  readonly activationTypes: readonly string[];
  /** Smallest and largest stored integer weight value over all quantized weights. */
  readonly weightRange: { readonly min: number; readonly max: number } | null;
  /**
   * True when every int8 weight lies in [-64, 64] (uint8 in [0, 127]): the 7-bit range that x86 `vpmaddubsw` kernels
   * without VNNI need to stay exact (u8 x s8 pair sums then fit int16).
   */
  readonly weights7bit: boolean | null;
  readonly quantizedWeights: number;
}

interface WeightUse {
  readonly weight: TensorRef;
  readonly scale: TensorRef | undefined;
  readonly zeroPoint: TensorRef | undefined;
  readonly blocked: boolean;
}

/**
 * Finds quantized weights (initializer inputs of DequantizeLinear, QLinearConv/QLinearMatMul, MatMulInteger/ConvInteger)
 * and summarizes format, granularity, symmetry and range. A DequantizeLinear on weights with no QuantizeLinear anywhere
 * is weight-only quantization.
 */
export function summarizeQuantization(model: Model): QuantizationSummary {
  const formats = new Set<QuantFormat>();
  const weights: WeightUse[] = [];
  const activationTypes = new Set<string>();
  walk(model.graph, (node, init) => {
    const at = (i: number) => (node.inputs[i] ? init.get(node.inputs[i]!) : undefined);
    const domain = normalizeDomain(node.domain);
    if (domain === '' && node.opType === 'DequantizeLinear') {
      const w = at(0);
      const blocked = node.attributes.some((a) => a.name === 'block_size' && a.type === 'int' && a.value > 0n);
      if (w) weights.push({ weight: w, scale: at(1), zeroPoint: at(2), blocked });
      if (w && blocked) formats.add('weight-only');
    } else if (domain === '' && node.opType === 'QuantizeLinear') {
      formats.add('qdq');
      const zp = at(2);
      if (zp) activationTypes.add(dataTypeName(zp.dtype));
    } else if (domain === '' && (node.opType === 'QLinearConv' || node.opType === 'QLinearMatMul')) {
      formats.add('qoperator');
      const w = at(3) ?? at(0);
      if (w) weights.push({ weight: w, scale: at(4) ?? at(1), zeroPoint: at(5) ?? at(2), blocked: false });
      const azp = at(2);
      if (azp) activationTypes.add(dataTypeName(azp.dtype));
    } else if (domain === '' && (node.opType === 'MatMulInteger' || node.opType === 'ConvInteger')) {
      formats.add('dynamic');
      const w = at(1);
      if (w) weights.push({ weight: w, scale: undefined, zeroPoint: at(3), blocked: false });
    } else if (domain === '' && node.opType === 'DynamicQuantizeLinear') {
      formats.add('dynamic');
      activationTypes.add('uint8');
    } else if (domain === 'com.microsoft' && node.opType === 'MatMulNBits') {
      formats.add('weight-only');
    }
  });
  if (formats.size === 0 && weights.length > 0) formats.add('weight-only');
  let min = Infinity;
  let max = -Infinity;
  let sevenBit = true;
  let symmetric = true;
  const grans = new Set<'per-tensor' | 'per-channel' | 'per-block'>();
  const weightTypes = new Set<string>();
  for (const w of weights) {
    const v = tensorValuesSync(w.weight);
    const name = dataTypeName(w.weight.dtype);
    weightTypes.add(name);
    const data = v.data as ArrayLike<number>;
    for (let i = 0; i < data.length; i++) {
      const x = Number(data[i]);
      if (x < min) min = x;
      if (x > max) max = x;
      if (name === 'int8' ? x < -64 || x > 64 : name === 'uint8' ? x > 127 : false) sevenBit = false;
    }
    const zps = w.zeroPoint ? Array.from(tensorValuesSync(w.zeroPoint).data as ArrayLike<number>, Number) : [0];
    const mid = name === 'uint8' ? 128 : name === 'uint16' ? 32768 : name === 'uint4' ? 8 : 0;
    if (!zps.every((z) => z === mid)) symmetric = false;
    const scaleSize = w.scale ? w.scale.dims.reduce((a, b) => a * b, 1) : 1;
    grans.add(w.blocked ? 'per-block' : scaleSize > 1 ? 'per-channel' : 'per-tensor');
  }
  const quantized = formats.size > 0;
  return {
    quantized,
    formats: [...formats].sort(),
    weightGranularity: grans.size === 0 ? null : grans.size > 1 ? 'mixed' : [...grans][0],
    symmetricWeights: weights.length ? symmetric : null,
    weightTypes: [...weightTypes].sort(),
    activationTypes: [...activationTypes].sort(),
    weightRange: weights.length ? { min, max } : null,
    weights7bit: weights.some((w) => ['int8', 'uint8'].includes(dataTypeName(w.weight.dtype))) ? sevenBit : null,
    quantizedWeights: weights.length,
  };
}

function walk(g: Graph, visit: (n: Node, init: ReadonlyMap<string, TensorRef>) => void, outer?: ReadonlyMap<string, TensorRef>): void {
  const init = new Map(outer ?? []);
  for (const t of g.initializers) init.set(t.name, t);
  for (const n of g.nodes) {
    visit(n, init);
    for (const a of n.attributes) {
      if (a.type === 'graph') walk(a.value, visit, init);
      else if (a.type === 'graphs') for (const sg of a.value) walk(sg, visit, init);
    }
  }
}
