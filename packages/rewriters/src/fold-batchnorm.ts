/**
 * Pass `fold-batchnorm`: folds an inference BatchNormalization into the Conv or Gemm that feeds it (when the BN is the
 * producer's only consumer and all parameters are constants).
 *
 * With `s[c] = fround(gamma[c] / sqrt(var[c] + epsilon))` (computed in float64, stored float32):
 * - Conv: `W'[c, ...] = W[c, ...] * s[c]`, `B'[c] = (B[c] - mean[c]) * s[c] + beta[c]` (B = 0 when absent).
 * - Gemm (`y = alpha * A * B + beta_g * C`, BN over columns): column `c` of B (row when transB) scaled by `s[c]`,
 *   `C'[c] = (beta_g * C[c] - mean[c]) * s[c] + beta[c]` as a 1-D bias with `beta = 1`.
 * Worked example: gamma 2, var 3, eps 1, mean 1, beta 0.5, W 1, B 0 -> s = 1, W' = 1, B' = -0.5.
 * Identity rule: nothing folded -> the same model back.
 */
import { editGraph, graphIndex } from '@lowbit/onnx-ir';
import type { Model, Node } from '@lowbit/onnx-ir';
import { floatAttr, readFloat, readInt, withoutAttrs } from './attrs.js';
import { Constants, tidyGraph } from './edit-support.js';
import { withGraph } from './model-opset.js';
import { result, type RewritePass } from './pass-contract.js';
import { floatTensor, numel, tensorFloats } from './tensor-data.js';
import { DataType } from '@lowbit/onnx-ir';

const PASS = 'fold-batchnorm';

export function foldBatchNorm(): RewritePass {
  return {
    name: PASS,
    run(m: Model) {
      const consts = new Constants(m.graph);
      const edited = editGraph(m.graph, (e) => {
        for (const bn of m.graph.nodes) {
          if (bn.opType !== 'BatchNormalization' || bn.outputs.slice(1).some((o) => o)) continue;
          const x = bn.inputs[0];
          const p = x ? e.producer(x) : undefined;
          if (!p || (p.opType !== 'Conv' && p.opType !== 'Gemm') || e.users(x!).length !== 1 || graphIndex(m.graph).isGraphOutput(x!)) continue;
          const params = bn.inputs.slice(1, 5).map((i) => consts.get(i));
          if (params.some((t) => !t || t.dtype !== DataType.FLOAT)) continue;
          const w = consts.get(p.inputs[1]);
          if (!w || w.dtype !== DataType.FLOAT) continue;
          const [gamma, beta, mean, vr] = params.map((t) => tensorFloats(t!, PASS));
          const c = gamma.length;
          const eps = readFloat(bn, 'epsilon', 1e-5);
          const s = new Float64Array(c);
          for (let i = 0; i < c; i++) s[i] = Math.fround(gamma[i] / Math.sqrt(vr[i] + eps));
          const wv = tensorFloats(w, PASS);
          const w2 = new Float32Array(wv.length);
          let bias0: Float32Array | undefined;
          const oldBias = p.inputs[2] ? consts.get(p.inputs[2]) : undefined;
          if (p.inputs[2] && !oldBias) continue;
          let attrs = p.attributes;
          if (p.opType === 'Conv') {
            if (w.dims[0] !== c) continue;
            const per = wv.length / c;
            for (let i = 0; i < wv.length; i++) w2[i] = wv[i] * s[Math.floor(i / per)];
            bias0 = oldBias ? tensorFloats(oldBias, PASS) : new Float32Array(c);
            if (bias0.length !== c) continue;
          } else {
            const transB = readInt(p, 'transB', 0) === 1;
            if (w.dims.length !== 2 || (transB ? w.dims[0] : w.dims[1]) !== c) continue;
            for (let i = 0; i < wv.length; i++) w2[i] = wv[i] * s[transB ? Math.floor(i / w.dims[1]) : i % c];
            const bg = readFloat(p, 'beta', 1);
            const cv = oldBias ? tensorFloats(oldBias, PASS) : new Float32Array(c);
            if (oldBias && numel(oldBias.dims) !== c && numel(oldBias.dims) !== 1) continue;
            bias0 = new Float32Array(c);
            for (let i = 0; i < c; i++) bias0[i] = bg * cv[cv.length === 1 ? 0 : i];
            attrs = [...withoutAttrs(p.attributes, 'beta'), floatAttr('beta', 1)];
          }
          const b2 = new Float32Array(c);
          for (let i = 0; i < c; i++) b2[i] = (bias0[i] - mean[i]) * s[i] + beta[i];
          const wName = consts.add(e, floatTensor(e.freshName(`${p.inputs[1]}_bnfold`), w.dims, w2));
          const bName = consts.add(e, floatTensor(e.freshName(`${p.name}_bias_bnfold`), [c], b2));
          e.removeNode(bn);
          e.updateNode(p, { inputs: [p.inputs[0], wName, bName], outputs: [bn.outputs[0]], attributes: attrs });
        }
      });
      return result(m, withGraph(m, tidyGraph(m.graph, edited, { pruneInitializers: true })));
    },
  };
}

/**
 * Pass `fuse-conv-bias`: `Conv(x, W) -> Add(y, c)` with a constant `c` broadcasting along the channel axis only
 * (`[C,1,1]`, `[1,C,1,1]`, ...) becomes `Conv(x, W, B + c)` (mnist-8's pattern), so QOperator can use QLinearConv's
 * int32 bias. Identity rule: nothing fused -> the same model back.
 */
export function fuseConvBias(): RewritePass {
  return {
    name: 'fuse-conv-bias',
    run(m: Model) {
      const consts = new Constants(m.graph);
      const edited = editGraph(m.graph, (e) => {
        for (const add of m.graph.nodes) {
          if (add.opType !== 'Add') continue;
          for (const k of [0, 1]) {
            const y = add.inputs[k];
            const cName = add.inputs[1 - k];
            const conv: Node | undefined = y ? e.producer(y) : undefined;
            const cst = consts.get(cName);
            if (!conv || conv.opType !== 'Conv' || !cst || cst.dtype !== DataType.FLOAT || e.users(y!).length !== 1 || graphIndex(m.graph).isGraphOutput(y!)) continue;
            const w = consts.get(conv.inputs[1]);
            if (!w) continue;
            const ch = w.dims[0];
            const rank = w.dims.length; // output rank of Conv equals weight rank
            const cd = cst.dims;
            const chAxisFromEnd = rank - 1; // channel axis index from the end in a right-aligned broadcast: dims [..., C, 1, ..., 1]
            if (cd.length > rank || numel(cd) !== ch) continue;
            const tail = cd.slice(cd.length - (chAxisFromEnd), cd.length);
            if (cd.length < chAxisFromEnd || cd[cd.length - chAxisFromEnd] !== ch || tail.slice(1).some((v) => v !== 1)) continue;
            const cv = tensorFloats(cst, 'fuse-conv-bias');
            const old = conv.inputs[2] ? consts.get(conv.inputs[2]) : undefined;
            if (conv.inputs[2] && !old) continue;
            const bv = old ? tensorFloats(old, 'fuse-conv-bias') : new Float32Array(ch);
            const b2 = new Float32Array(ch);
            for (let i = 0; i < ch; i++) b2[i] = bv[i] + cv[i];
            const bName = consts.add(e, floatTensor(e.freshName(`${conv.name}_bias`), [ch], b2));
            e.removeNode(add);
            e.updateNode(conv, { inputs: [conv.inputs[0], conv.inputs[1], bName], outputs: [add.outputs[0]] });
            break;
          }
        }
      });
      return result(m, withGraph(m, tidyGraph(m.graph, edited, { pruneInitializers: true })));
    },
  };
}
