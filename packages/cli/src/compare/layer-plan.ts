import { DataType, tensorValuesSync, type Model, type Node, type TensorRef } from '@lowbit/onnx-ir';
import type { Tensor } from '@lowbit/kernels';

/** A per-tensor scale and zero point: real = (q - zeroPoint) * scale. */
export interface QParams {
  readonly scale: number;
  readonly zeroPoint: number;
}

/** One float-model activation to compare, and where the quantized model holds it. */
export interface PlannedLayer {
  /** Position in the float model's topological order (node index, then output index). */
  readonly order: number;
  /** Value name in the float model. */
  readonly name: string;
  /** Op type of the float node that produces it. */
  readonly opType: string;
  /** Value name in the quantized model: the same name, or `<name>_quantized` (QOperator form). */
  readonly quantName: string;
  /** Scale/zero point to dequantize the quantized value with when it is an integer tensor, if they are known. */
  readonly qparams: QParams | undefined;
}

export interface LayerPlan {
  readonly layers: readonly PlannedLayer[];
  /** Float-model activations with no counterpart in the quantized model (fused or folded away). */
  readonly notInQuantized: number;
}

/**
 * Output scale/zero-point input positions of the ops that produce a quantized tensor
 * (ONNX QuantizeLinear/QLinearConv/QLinearMatMul, com.microsoft QLinear* and QGemm).
 */
const QPARAM_INPUTS: Readonly<Record<string, readonly [number, number]>> = {
  QuantizeLinear: [1, 2],
  QLinearConv: [6, 7],
  QLinearMatMul: [6, 7],
  QLinearAdd: [6, 7],
  QLinearMul: [6, 7],
  QGemm: [7, 8],
  QLinearConcat: [0, 1],
  QLinearAveragePool: [3, 4],
  QLinearGlobalAveragePool: [3, 4],
  QLinearLeakyRelu: [3, 4],
  QLinearSigmoid: [3, 4],
  QLinearSoftmax: [3, 4],
};

/** Ops that move quantized values without changing them, so their output keeps input 0's scale/zero point. */
const PASS_THROUGH = new Set([
  'MaxPool', 'Reshape', 'Transpose', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Slice', 'Split', 'Gather',
  'GatherElements', 'Tile', 'Expand', 'DepthToSpace', 'SpaceToDepth', 'Resize',
]);

/**
 * Pairs every activation of the float model (outputs of its nodes, Constant nodes excluded, in topological order)
 * with the value that holds it in the quantized model: the same name (QDQ models keep the float names of
 * activations), else `<name>_quantized` (Lowbit's QOperator form: the integer tensor that replaced it). Which pairs
 * are float32 on both sides is known only at run time; the plan also resolves a per-tensor scale/zero point for the
 * quantized value, from the QuantizeLinear/QLinear* node that produced it (through pass-through ops like MaxPool and
 * Reshape), when those are initializers.
 *
 * What a layer's SQNR means: in a QDQ model the same-named value is the float output of the op computed from
 * dequantized inputs and weights, i.e. before its own QuantizeLinear; so it carries the error of everything upstream
 * plus this op's weight quantization, and its own activation rounding shows up in the next layer. In a QOperator model
 * the `_quantized` value is the op's integer output, so its own rounding is included.
 */
export function planLayers(floatModel: Model, quantModel: Model): LayerPlan {
  const qProducer = new Map<string, Node>();
  for (const n of quantModel.graph.nodes) for (const o of n.outputs) if (o) qProducer.set(o, n);
  const qInits = new Map<string, TensorRef>(quantModel.graph.initializers.map((t) => [t.name, t]));
  const layers: PlannedLayer[] = [];
  let notInQuantized = 0;
  let order = 0;
  for (const node of floatModel.graph.nodes) {
    if (node.opType === 'Constant') continue;
    for (const name of node.outputs) {
      if (!name) continue;
      const at = order++;
      const quantName = qProducer.has(name) ? name : qProducer.has(`${name}_quantized`) ? `${name}_quantized` : undefined;
      if (quantName === undefined) {
        notInQuantized++;
        continue;
      }
      layers.push({ order: at, name, opType: node.opType, quantName, qparams: resolveQParams(quantName, qProducer, qInits) });
    }
  }
  return { layers, notInQuantized };
}

function resolveQParams(name: string, producers: Map<string, Node>, inits: Map<string, TensorRef>): QParams | undefined {
  let value: string | null = name;
  for (let hops = 0; value && hops < 64; hops++) {
    const p = producers.get(value);
    if (!p) return undefined;
    const at = QPARAM_INPUTS[p.opType];
    if (at) return readQParams(p.inputs[at[0]], p.inputs[at[1]], inits);
    if (!PASS_THROUGH.has(p.opType)) return undefined;
    value = p.inputs[0];
  }
  return undefined;
}

function readQParams(scaleName: string | null | undefined, zpName: string | null | undefined, inits: Map<string, TensorRef>): QParams | undefined {
  const s = scaleName ? inits.get(scaleName) : undefined;
  if (!s || s.dtype !== DataType.FLOAT) return undefined;
  const sv = tensorValuesSync(s).data as Float32Array;
  if (sv.length !== 1) return undefined;
  if (!zpName) return { scale: sv[0], zeroPoint: 0 };
  const z = inits.get(zpName);
  if (!z) return undefined;
  const zv = tensorValuesSync(z).data as ArrayLike<number | bigint>;
  if (zv.length !== 1 || typeof zv[0] === 'string') return undefined;
  return { scale: sv[0], zeroPoint: Number(zv[0]) };
}

const INTEGER = new Set(['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int4', 'uint4', 'int2', 'uint2']);

/**
 * The values of an activation tensor as float numbers, or undefined when they cannot be had:
 * float32/float64 as they are; integer tensors (8/16/32-bit, 4/2-bit unpacked) dequantized per ONNX
 * DequantizeLinear, y = float32((q - zeroPoint) * scale), when `qparams` are known. Example: uint8 q = 130 with
 * scale 0.5 and zero point 128 gives 1.0.
 */
export function asFloatValues(t: Tensor, qparams: QParams | undefined): ArrayLike<number> | undefined {
  if (t.dtype === 'float32' || t.dtype === 'float64') return t.data as Float32Array | Float64Array;
  if (!INTEGER.has(t.dtype) || !qparams) return undefined;
  const q = t.data as ArrayLike<number>;
  const out = new Float32Array(q.length);
  const scale = Math.fround(qparams.scale);
  for (let i = 0; i < q.length; i++) out[i] = Math.fround((q[i] - qparams.zeroPoint) * scale);
  return out;
}
