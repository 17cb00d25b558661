/**
 * LSTM weights for `dynamic-quantize`: an onnx LSTM with constant W `[D, 4H, I]` and R `[D, 4H, H]` becomes
 * com.microsoft `DynamicQuantizeLSTM` (onnxruntime's contrib op: the input is quantized at run time, the weights are
 * int8 offline). Its weight layout is transposed: W `[D, I, 4H]`, R `[D, H, 4H]`; scales and zero points are per
 * direction (`[D]`, int8 symmetric, zero point 0), from qparams `chooseQParams` per-axis on axis 0.
 * LSTMs with `layout = 1` (batch-first) are left alone (the contrib op has no layout attribute).
 */
import { DataType } from '@lowbit/onnx-ir';
import type { GraphEditor, Node } from '@lowbit/onnx-ir';
import { readInt, withoutAttrs } from './attrs.js';
import type { Constants } from './edit-support.js';
import { quantizeWith, weightQParams, type QSpec } from './qparams-bridge.js';
import { floatTensor, makeTensor, tensorFloats } from './tensor-data.js';

const PASS = 'dynamic-quantize';

/** Quantizes `[D, G, K]` per direction and returns the int8 values transposed to `[D, K, G]`. */
function quantizeTransposed(e: GraphEditor, c: Constants, name: string, spec: QSpec): { q: string; s: string; zp: string } | undefined {
  const t = c.get(name);
  if (!t || t.dtype !== DataType.FLOAT || t.dims.length !== 3) return undefined;
  const [D, G, K] = t.dims;
  const v = tensorFloats(t, PASS);
  const set = weightQParams(v, t.dims, spec, 0);
  const ints = quantizeWith(v, t.dims, set, spec.dtype, 0);
  const tr = new Int32Array(ints.length);
  for (let a = 0; a < D; a++) for (let g = 0; g < G; g++) for (let k = 0; k < K; k++) tr[(a * K + k) * G + g] = ints[(a * G + g) * K + k];
  return {
    q: c.add(e, makeTensor(e.freshName(`${name}_quantized`), DataType.INT8, [D, K, G], tr)),
    s: c.add(e, floatTensor(e.freshName(`${name}_scale`), [D], set.scales)),
    zp: c.add(e, makeTensor(e.freshName(`${name}_zero_point`), DataType.INT8, [D], set.zeroPoints)),
  };
}

/** Rewrites one LSTM node; returns false when it does not qualify (non-constant weights, batch-first layout). */
export function quantizeLstm(e: GraphEditor, c: Constants, n: Node, reduceRange: boolean): boolean {
  if (readInt(n, 'layout', 0) !== 0) return false;
  const spec: QSpec = { dtype: 'int8', scheme: 'symmetric', reduceRange };
  if (!c.get(n.inputs[1]) || !c.get(n.inputs[2])) return false;
  const w = quantizeTransposed(e, c, n.inputs[1]!, spec);
  const r = quantizeTransposed(e, c, n.inputs[2]!, spec);
  if (!w || !r) return false;
  const opt = (i: number): string | null => n.inputs[i] ?? null;
  e.updateNode(n, {
    domain: 'com.microsoft', opType: 'DynamicQuantizeLSTM',
    inputs: [n.inputs[0], w.q, r.q, opt(3), opt(4), opt(5), opt(6), opt(7), w.s, w.zp, r.s, r.zp],
    attributes: withoutAttrs(n.attributes, 'layout'),
  });
  return true;
}
