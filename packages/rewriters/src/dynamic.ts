/**
 * Pass `dynamic-quantize`: weights quantized offline, activations at run time by `DynamicQuantizeLinear` (uint8).
 *
 * - MatMul with a constant 2-D `B [K,N]` (and Gemm with transA=0, `alpha` folded into B, transB applied offline):
 *   `DynamicQuantizeLinear(x) -> MatMulInteger(x_q, B_q, x_zp, B_zp) -> Cast(float) -> Mul(x_s * B_s)`, then
 *   `Add(beta * C)` for Gemm. B is int8 symmetric (u8 x s8, default) or uint8; per-tensor or per-column (`[N]`).
 * - Conv: onnxruntime has no u8 x s8 ConvInteger, so Conv uses u8 x u8: W is uint8 per-tensor, symmetric by default
 *   (zero point 128: W - 128 is int8, so integer kernels can run u8 x s8 without column-sum corrections) or asymmetric
 *   (`convWeightScheme: 'asymmetric'`, min..max onto 0..255),
 *   `ConvInteger -> Cast -> Mul(x_s * W_s) -> Add(B reshaped [1,M,1,...])`. (`conv: 'float'` leaves Conv alone.)
 *   `perChannel`: W is uint8 symmetric per output channel, zero point 128 in every channel (onnxruntime's ConvInteger
 *   takes only a scalar w_zero_point), and W_s is `[1, M, 1, ...]` so the rescale Mul is per channel.
 * - MatMul of two activations (attention): both through DynamicQuantizeLinear, `MatMulInteger` u8 x u8, rescaled by
 *   `a_s * b_s` (`activationMatMul: false` leaves them float).
 * - LSTM with constant weights: com.microsoft `DynamicQuantizeLSTM` (see dynamic-lstm.ts).
 * - Gather on a constant table (embeddings): `Gather(W_q, idx) -> DequantizeLinear(scale, zp)`, per-tensor.
 * Numerics: `y = fround(float(MatMulInteger(x_q - x_zp, B_q - B_zp)) * fround(x_s * B_s))`, exact int32 accumulation
 * (x_q uint8 from DynamicQuantizeLinear: range widened to include 0, round-half-even, saturated). Worked example:
 * x = [1, 2] -> x_s = 2/255, x_zp = 0, x_q = [128, 255] (1/x_s = 127.5 ties to 128); B = [[1], [-1]] int8 symmetric
 * -> B_s = 1/127, B_q = [[127], [-127]]; int32 = 128*127 - 255*127 = -16129; y = -16129 * (2/255)(1/127) = -0.99608
 * (float: -1).
 * One DynamicQuantizeLinear per activation, shared by its consumers; subgraphs (If/Loop/Scan bodies) are quantized
 * the same way, with names never reused across scopes; a weight a body reads from an enclosing scope is quantized
 * into the body (the float original is dropped once nothing reads it). Needs opset >= 11.
 * Identity rule: nothing to quantize (or already quantized) -> the same model back.
 */
import { DataType, collectNames, editGraph, mapSubgraphs } from '@lowbit/onnx-ir';
import type { Graph, GraphEditor, Model, Node, NodeSpec, TensorRef } from '@lowbit/onnx-ir';
import { intAttr, readFloat, readInt } from './attrs.js';
import { RewriteError } from './errors.js';
import { Constants, tidyGraph } from './edit-support.js';
import { onnxOpset, withGraph, withOpset } from './model-opset.js';
import { quantizeLstm } from './dynamic-lstm.js';
import { result, type RewritePass } from './pass-contract.js';
import { Q_DATATYPE, quantizeWith, weightQParams, type QSpec } from './qparams-bridge.js';
import type { IntQuantDType, Scheme } from '@lowbit/qparams';
import { isSelected, type NodeSelection } from './quant-options.js';
import { floatTensor, makeTensor, tensorFloats } from './tensor-data.js';

const PASS = 'dynamic-quantize';
export const DEFAULT_DYNAMIC_OPS: readonly string[] = ['MatMul', 'Gemm', 'Conv', 'Gather', 'LSTM'];

export interface DynamicQuantizeOptions extends NodeSelection {
  /** MatMul/Gemm/Gather weight type (default int8). */
  readonly weightType?: Extract<IntQuantDType, 'int8' | 'uint8'>;
  readonly weightScheme?: Scheme;
  readonly perChannel?: boolean;
  readonly reduceRange?: boolean;
  /** MatMul of two activations (attention scores/context): both DynamicQuantizeLinear, u8 x u8 (default true). */
  readonly activationMatMul?: boolean;
  /** How Conv is handled: u8 x u8 ConvInteger (default) or left in float. */
  readonly conv?: 'conv-integer' | 'float';
  /** Conv's per-tensor uint8 weights: symmetric (zero point 128, default) or asymmetric. Per-channel is always symmetric. */
  readonly convWeightScheme?: Scheme;
}

export function dynamicQuantize(options: DynamicQuantizeOptions = {}): RewritePass {
  return {
    name: PASS,
    run(m: Model) {
      const opset = onnxOpset(m);
      let usedContrib = false;
      const transform = (graph: Graph, reserved: Iterable<string>, outer: ReadonlyMap<string, TensorRef>): Graph => {
      const consts = new Constants(graph, outer);
      const edited = editGraph(graph, (e) => {
        /** `e.addNode` with a fresh name from `name`, else the first output (the editor takes a given name verbatim). */
        const add = (spec: NodeSpec & { readonly outputs: readonly string[] }): Node => e.addNode({ ...spec, name: e.freshName(spec.name ?? spec.outputs[0]) });
        const dql = new Map<string, { q: string; s: string; zp: string }>();
        const wType = options.weightType ?? 'int8';
        const wSpec: QSpec = { dtype: wType, scheme: options.weightScheme ?? (wType === 'int8' ? 'symmetric' : 'asymmetric'), reduceRange: options.reduceRange ?? false };
        const dynamicInput = (x: string): { q: string; s: string; zp: string } => {
          let r = dql.get(x);
          if (!r) {
            r = { q: e.freshName(`${x}_quantized`), s: e.freshName(`${x}_scale`), zp: e.freshName(`${x}_zero_point`) };
            add({ opType: 'DynamicQuantizeLinear', inputs: [x], outputs: [r.q, r.s, r.zp], name: `${x}_DynamicQuantizeLinear` });
            dql.set(x, r);
          }
          return r;
        };
        for (const n of graph.nodes) {
          if (!isSelected(options, n, DEFAULT_DYNAMIC_OPS)) continue;
          if (opset < 11) throw new RewriteError({ pass: PASS, expected: 'opset >= 11', actual: `opset ${opset}` }, 'run opset-upgrade first');
          if (n.opType === 'Gather') { gather(e, consts, n, wSpec); continue; }
          if (n.opType === 'LSTM') { usedContrib = quantizeLstm(e, consts, n, options.reduceRange ?? false) || usedContrib; continue; }
          const x = n.inputs[0];
          const w = consts.get(n.inputs[1]);
          if (n.opType === 'MatMul' && x && n.inputs[1] && !w && !consts.get(x) && (options.activationMatMul ?? true)) {
            // attention-style: both operands are activations, both quantized at run time (u8 x u8)
            const a = dynamicInput(x);
            const b = dynamicInput(n.inputs[1]);
            const y = n.outputs[0]!;
            const yi = e.freshName(`${y}_int32`), yf = e.freshName(`${y}_float`), sc = e.freshName(`${y}_rescale`);
            e.removeNode(n);
            add({ opType: 'MatMulInteger', inputs: [a.q, b.q, a.zp, b.zp], outputs: [yi], name: `${n.name}_quant` });
            add({ opType: 'Cast', inputs: [yi], outputs: [yf], attributes: [intAttr('to', DataType.FLOAT)] });
            add({ opType: 'Mul', inputs: [a.s, b.s], outputs: [sc] });
            add({ opType: 'Mul', inputs: [yf, sc], outputs: [y] });
            continue;
          }
          if (!x || !w || w.dtype !== DataType.FLOAT || consts.get(x)) continue;
          const y = n.outputs[0]!;
          if (n.opType === 'Conv') {
            if ((options.conv ?? 'conv-integer') === 'float') continue;
            const wv = tensorFloats(w, PASS);
            // Per-channel: symmetric uint8 (every channel's zero point is 128), so ConvInteger keeps the scalar
            // w_zero_point onnxruntime requires; the per-channel scales go into the rescale Mul, shaped [1, M, 1, ...].
            const perChannel = options.perChannel ?? false;
            const spec: QSpec = { dtype: 'uint8', scheme: perChannel ? 'symmetric' : (options.convWeightScheme ?? 'symmetric'), reduceRange: options.reduceRange ?? false };
            const set = weightQParams(wv, w.dims, spec, perChannel ? 0 : undefined);
            const wq = consts.add(e, makeTensor(e.freshName(`${n.inputs[1]}_quantized`), DataType.UINT8, w.dims, quantizeWith(wv, w.dims, set, 'uint8', perChannel ? 0 : undefined)));
            const scaleDims = perChannel ? [1, w.dims[0], ...new Array<number>(w.dims.length - 2).fill(1)] : [];
            const ws = consts.add(e, floatTensor(e.freshName(`${n.inputs[1]}_scale`), scaleDims, set.scales));
            const wz = consts.add(e, makeTensor(e.freshName(`${n.inputs[1]}_zero_point`), DataType.UINT8, [], set.zeroPoints.subarray(0, 1)));
            const a = dynamicInput(x);
            const yi = e.freshName(`${y}_int32`), yf = e.freshName(`${y}_float`), sc = e.freshName(`${y}_rescale`);
            e.removeNode(n);
            add({ opType: 'ConvInteger', inputs: [a.q, wq, a.zp, wz], outputs: [yi], attributes: n.attributes, name: `${n.name}_quant` });
            add({ opType: 'Cast', inputs: [yi], outputs: [yf], attributes: [intAttr('to', DataType.FLOAT)] });
            add({ opType: 'Mul', inputs: [a.s, ws], outputs: [sc] });
            const b = n.inputs[2] ? consts.get(n.inputs[2]) : undefined;
            if (n.inputs[2] && b) {
              const ys = e.freshName(`${y}_scaled`);
              add({ opType: 'Mul', inputs: [yf, sc], outputs: [ys] });
              const bv = tensorFloats(b, PASS);
              const dims = [1, bv.length, ...new Array<number>(w.dims.length - 2).fill(1)];
              const br = consts.add(e, floatTensor(e.freshName(`${n.inputs[2]}_reshaped`), dims, bv));
              add({ opType: 'Add', inputs: [ys, br], outputs: [y] });
            } else if (n.inputs[2]) {
              const ys = e.freshName(`${y}_scaled`);
              add({ opType: 'Mul', inputs: [yf, sc], outputs: [ys] });
              const shape = consts.add(e, makeTensor(e.freshName(`${y}_bias_shape`), DataType.INT64, [w.dims.length - 1], [-1, ...new Array<number>(w.dims.length - 2).fill(1)]));
              const br = e.freshName(`${n.inputs[2]}_reshaped`);
              add({ opType: 'Reshape', inputs: [n.inputs[2], shape], outputs: [br] });
              add({ opType: 'Add', inputs: [ys, br], outputs: [y] });
            } else {
              add({ opType: 'Mul', inputs: [yf, sc], outputs: [y] });
            }
            continue;
          }
          // MatMul / Gemm
          if (w.dims.length !== 2) continue;
          let wv = tensorFloats(w, PASS);
          let dims = [...w.dims];
          let bias: string | null = null;
          if (n.opType === 'Gemm') {
            if (readInt(n, 'transA', 0) !== 0) continue;
            const alpha = readFloat(n, 'alpha', 1);
            if (readInt(n, 'transB', 0) === 1) {
              const [r, c] = dims;
              const t = new Float32Array(wv.length);
              for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) t[j * r + i] = wv[i * c + j];
              wv = t;
              dims = [c, r];
            }
            if (alpha !== 1) wv = wv.map((v) => Math.fround(alpha * v));
            const beta = readFloat(n, 'beta', 1);
            const cName = n.inputs[2];
            if (cName) {
              const c = consts.get(cName);
              if (c && beta !== 1) bias = consts.add(e, floatTensor(e.freshName(`${cName}_beta`), c.dims, tensorFloats(c, PASS).map((v) => Math.fround(beta * v))));
              else if (beta !== 1) continue;
              else bias = cName;
            }
          }
          const axis = options.perChannel ? 1 : undefined;
          const set = weightQParams(wv, dims, wSpec, axis);
          const wq = consts.add(e, makeTensor(e.freshName(`${n.inputs[1]}_quantized`), Q_DATATYPE[wSpec.dtype], dims, quantizeWith(wv, dims, set, wSpec.dtype, axis)));
          const ws = consts.add(e, floatTensor(e.freshName(`${n.inputs[1]}_scale`), set.dims, set.scales));
          const wz = consts.add(e, makeTensor(e.freshName(`${n.inputs[1]}_zero_point`), Q_DATATYPE[wSpec.dtype], set.dims, set.zeroPoints));
          const a = dynamicInput(x);
          const yi = e.freshName(`${y}_int32`), yf = e.freshName(`${y}_float`), sc = e.freshName(`${y}_rescale`);
          e.removeNode(n);
          add({ opType: 'MatMulInteger', inputs: [a.q, wq, a.zp, wz], outputs: [yi], name: `${n.name}_quant` });
          add({ opType: 'Cast', inputs: [yi], outputs: [yf], attributes: [intAttr('to', DataType.FLOAT)] });
          add({ opType: 'Mul', inputs: [a.s, ws], outputs: [sc] });
          if (bias) {
            const ys = e.freshName(`${y}_scaled`);
            add({ opType: 'Mul', inputs: [yf, sc], outputs: [ys] });
            add({ opType: 'Add', inputs: [ys, bias], outputs: [y] });
          } else {
            add({ opType: 'Mul', inputs: [yf, sc], outputs: [y] });
          }
        }
        // Subgraphs last, with every name of this scope so far reserved (they may read outer values by name).
        const scope = collectNames(e.snapshot(), new Set(reserved));
        // a body reads enclosing initializers by name: their weights are quantized into the body (a copy there)
        const visible = new Constants(e.snapshot(), outer).visibleToBodies();
        for (const n of e.nodes()) {
          const next = mapSubgraphs(n, (sg) => transform(sg, scope, visible));
          if (next !== n) e.updateNode(n, { attributes: next.attributes });
        }
      }, { reservedNames: reserved });
      return tidyGraph(graph, edited, { pruneInitializers: true });
      };
      const g = transform(m.graph, [], new Map());
      if (g === m.graph) return result(m, m);
      const out = withGraph(m, g);
      return result(m, usedContrib ? withOpset(out, opset, [{ domain: 'com.microsoft', version: 1 }]) : out);
    },
  };
}

function gather(e: GraphEditor, consts: Constants, n: Node, spec: QSpec): void {
  const w = consts.get(n.inputs[0]);
  if (!w || w.dtype !== DataType.FLOAT || readInt(n, 'axis', 0) !== 0) return;
  const wv = tensorFloats(w, PASS);
  const set = weightQParams(wv, w.dims, spec);
  const wq = consts.add(e, makeTensor(e.freshName(`${n.inputs[0]}_quantized`), Q_DATATYPE[spec.dtype], w.dims, quantizeWith(wv, w.dims, set, spec.dtype)));
  const ws = consts.add(e, floatTensor(e.freshName(`${n.inputs[0]}_scale`), [], set.scales));
  const wz = consts.add(e, makeTensor(e.freshName(`${n.inputs[0]}_zero_point`), Q_DATATYPE[spec.dtype], [], set.zeroPoints));
  const y = n.outputs[0]!;
  const gq = e.freshName(`${y}_quantized`);
  e.updateNode(n, { inputs: [wq, n.inputs[1]], outputs: [gq] });
  e.addNode({ opType: 'DequantizeLinear', inputs: [gq, ws, wz], outputs: [y], name: e.freshName(`${y}_DequantizeLinear`) });
}
