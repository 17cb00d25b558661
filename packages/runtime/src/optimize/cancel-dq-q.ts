/**
 * Pass `cancel-dequantize-quantize`: `QuantizeLinear(DequantizeLinear(x, s, zp), s, zp) -> x` when both use the same
 * parameters (same scale and zero-point values, dtype, axis and block size; float32 scales). Exact: with
 * `n = x - zp` an integer of at most 16 bits and `s` a normal float32, `fround(n * s) = n * s * (1 + e1)` and
 * `fround(fround(n * s) / s) = n * (1 + e1) * (1 + e2)` with `|e1|, |e2| <= 2^-24`, so the quotient is within
 * `65535 * 2^-23 < 0.008` of `n` and round-half-even gives `n` back; `n + zp = x` is in range, so no saturation.
 * Example: uint8 x = 200, zp 128, s = 0.1 -> 7.2000003 -> 72.000003 -> 72 + 128 = 200.
 *
 * The other direction, `DQ(Q(x))`, is a rounding of x and is never removed. Left alone: a Q whose output is a graph
 * output or kept, parameters that are not constants, subnormal/zero/non-finite scales, float8/float4/int32 data.
 * Identity rule: nothing cancelled -> the same model back.
 */
import { editGraph, graphIndex } from '@lowbit/onnx-ir';
import type { Model, Node, Pass, PassContext } from '@lowbit/onnx-ir';
import { attrInt } from '@lowbit/onnx-ir';
import { Constants, isOp, passOptions, removable, resultOfGraph } from './support.js';

const EXACT_TYPES = new Set(['uint8', 'int8', 'uint16', 'int16', 'uint4', 'int4', 'uint2', 'int2']);
const MIN_NORMAL = 2 ** -126;
const FLT_MAX = 3.4028234663852886e38;

export const cancelDequantizeQuantize: Pass = {
  name: 'cancel-dequantize-quantize',
  run(m: Model, ctx: PassContext) {
    const opts = passOptions(ctx);
    const consts = new Constants(m.graph);
    const idx = graphIndex(m.graph);
    const g = editGraph(m.graph, (e) => {
      for (const q of m.graph.nodes) {
        if (!isOp(q, 'QuantizeLinear') || !q.inputs[0]) continue;
        const dq = idx.producer(q.inputs[0])?.node;
        if (!isOp(dq, 'DequantizeLinear') || !dq.inputs[0]) continue;
        const y = q.outputs[0];
        if (!y || !removable(m.graph, opts, y) || !sameParameters(consts, dq, q)) continue;
        e.replaceAllUses(y, dq.inputs[0], { graphOutputs: false });
        e.removeNode(q);
      }
    });
    return resultOfGraph(m, g);
  },
};

/** True when `q` undoes `dq` exactly (see the file comment). */
export function sameParameters(c: Constants, dq: Node, q: Node): boolean {
  if (!dq.inputs[2] || !q.inputs[2] || !dq.inputs[1] || !q.inputs[1]) return false;
  if (attrInt(dq, 'axis', 1) !== attrInt(q, 'axis', 1) || attrInt(dq, 'block_size', 0) !== attrInt(q, 'block_size', 0)) return false;
  if (attrInt(dq, 'output_dtype', 0) !== 0 && attrInt(dq, 'output_dtype', 0) !== 1) return false;
  const s1 = c.tensor(dq.inputs[1]), s2 = c.tensor(q.inputs[1]);
  const z1 = c.tensor(dq.inputs[2]), z2 = c.tensor(q.inputs[2]);
  if (!s1 || !s2 || !z1 || !z2 || s1.dtype !== 'float32' || s2.dtype !== 'float32') return false;
  if (z1.dtype !== z2.dtype || !EXACT_TYPES.has(z1.dtype)) return false;
  const qOut = attrInt(q, 'output_dtype', 0);
  if (qOut !== 0 && !matchesDtype(qOut, z2.dtype)) return false;
  if (!c.same(dq.inputs[1], q.inputs[1]) || !c.same(dq.inputs[2], q.inputs[2])) return false;
  const span = z1.dtype.endsWith('16') ? 65535 : 255;
  for (const s of s1.data as Float32Array) {
    const a = Math.abs(s);
    if (!(a >= MIN_NORMAL) || !(a * span < FLT_MAX)) return false;
  }
  return true;
}

const ONNX_INT_TYPES: Record<number, string> = { 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 21: 'uint4', 22: 'int4', 25: 'uint2', 26: 'int2' };

function matchesDtype(onnxType: number, dtype: string): boolean {
  return ONNX_INT_TYPES[onnxType] === dtype;
}
