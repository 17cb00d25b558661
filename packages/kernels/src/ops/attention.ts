/**
 * Attention (opset 23/24): scaled dot-product attention with optional mask, causal masking, KV cache, padding
 * lengths, grouped-query heads and softcap.
 *
 * Q [B, Hq, Sq, D] and K/V [B, Hkv, Skv, D/Dv] (or 3-D [B, S, heads * D] with q_num_heads/kv_num_heads).
 * present_key/value = concat(past, K/V) along the sequence. For q head h the kv head is h / (Hq / Hkv).
 * s[i, j] = scale * (q_i . k_j) (scale defaults to 1/sqrt(D)); softcap c > 0 maps s -> c * tanh(s / c); then the bias
 * is added: attn_mask (bool: false -> -Inf; float: added; a mask shorter than Skv is padded with -Inf/false),
 * is_causal (j <= i + offset allowed, offset = past length, or nonpad_kv_seqlen[b] - Sq for an external cache),
 * nonpad_kv_seqlen (j >= len[b] -> -Inf). p = softmax_j(s + bias) (a row that is all -Inf gives zeros);
 * Y = p V. qk_matmul_output_mode selects the 4th output: 0/1 the (softcapped) scores, 2 scores + bias, 3 p.
 * Computed in double, rounded once into Q's dtype.
 */
import type { KernelNode, KernelVariant } from '../contract.js';
import type { Tensor } from '../tensor.js';
import { attrFloat, attrInt } from './util/attrs.js';
import { kernelError, need } from './util/fail.js';
import { toNumbers, writeNumbers } from './util/values.js';
import { scalarKernel } from './util/variant.js';

/** [B, H, S, D] view of a 3-D [B, S, H*D] or 4-D tensor as a flat double array. */
function to4d(node: KernelNode, t: Tensor, heads: number, i: number): { data: Float64Array; dims: number[] } {
  const X = toNumbers(t);
  if (t.dims.length === 4) return { data: Float64Array.from(X), dims: [...t.dims] };
  if (t.dims.length !== 3 || heads <= 0) throw kernelError(node, 'shape', { inputIndex: i, expected: '4-D, or 3-D with the num_heads attributes', actual: `[${t.dims}]` });
  const [B, S, hidden] = t.dims;
  const D = hidden / heads;
  const out = new Float64Array(X.length);
  for (let b = 0; b < B; b++) for (let s = 0; s < S; s++) for (let h = 0; h < heads; h++) for (let d = 0; d < D; d++) {
    out[((b * heads + h) * S + s) * D + d] = X[((b * S + s) * heads + h) * D + d];
  }
  return { data: out, dims: [B, heads, S, D] };
}

function concatSeq(past: { data: Float64Array; dims: number[] } | undefined, cur: { data: Float64Array; dims: number[] }) {
  if (!past) return cur;
  const [B, H, P, D] = past.dims;
  const S = cur.dims[2];
  const out = new Float64Array(B * H * (P + S) * D);
  for (let bh = 0; bh < B * H; bh++) {
    out.set(past.data.subarray(bh * P * D, (bh + 1) * P * D), bh * (P + S) * D);
    out.set(cur.data.subarray(bh * S * D, (bh + 1) * S * D), (bh * (P + S) + P) * D);
  }
  return { data: out, dims: [B, H, P + S, D] };
}

export const ATTENTION_KERNELS: KernelVariant[] = [
  scalarKernel('Attention', (node) => {
    const scaleAttr = node.attrs.has('scale') ? attrFloat(node, 'scale', 1) : undefined;
    const causal = attrInt(node, 'is_causal', 0) !== 0;
    const qHeads = attrInt(node, 'q_num_heads', 0);
    const kvHeads = attrInt(node, 'kv_num_heads', 0);
    const softcap = attrFloat(node, 'softcap', 0);
    const mode = attrInt(node, 'qk_matmul_output_mode', 0);
    return (inputs, ctx) => {
      const qT = need(node, inputs, 0);
      const q = to4d(node, qT, qHeads, 0);
      const k0 = to4d(node, need(node, inputs, 1), kvHeads, 1);
      const v0 = to4d(node, need(node, inputs, 2), kvHeads, 2);
      const maskT = inputs[3] ?? null;
      const pastK = inputs[4] ? to4d(node, inputs[4], kvHeads, 4) : undefined;
      const pastV = inputs[5] ? to4d(node, inputs[5], kvHeads, 5) : undefined;
      const nonpad = inputs[6] ? toNumbers(inputs[6]) : undefined;
      const k = concatSeq(pastK, k0);
      const v = concatSeq(pastV, v0);
      const [B, Hq, Sq, D] = q.dims;
      const [, Hkv, Skv] = k.dims;
      const Dv = v.dims[3];
      if (Hq % Hkv !== 0) throw kernelError(node, 'heads', { inputIndex: 1, expected: `a divisor of ${Hq} query heads`, actual: String(Hkv) });
      const group = Hq / Hkv;
      const scale = scaleAttr ?? 1 / Math.sqrt(D);
      const past = pastK ? pastK.dims[2] : 0;
      // Mask as an additive bias broadcast to [B, Hq, Sq, Skv] (padded on the right to Skv).
      let maskBias: ((b: number, h: number, i: number, j: number) => number) | undefined;
      if (maskT) {
        const md = maskT.dims;
        const mw = md[md.length - 1];
        const M = toNumbers(maskT);
        const isBool = maskT.dtype === 'bool';
        maskBias = (b, h, i, j) => {
          if (j >= mw) return -Infinity;
          // Right-aligned broadcast of the mask's dims against [B, Hq, Sq, Skv].
          const coords = [b, h, i, j].slice(4 - md.length);
          let off = 0;
          for (let a = 0; a < md.length; a++) off = off * md[a] + (md[a] === 1 ? 0 : coords[a]);
          const m = M[off];
          return isBool ? (m ? 0 : -Infinity) : m;
        };
      }
      const Q = q.data;
      const K = k.data;
      const V = v.data;
      const y = new Float64Array(B * Hq * Sq * Dv);
      const qk = new Float64Array(B * Hq * Sq * Skv);
      const row = new Float64Array(Skv);
      const raw = new Float64Array(Skv);
      for (let b = 0; b < B; b++) {
        const causalOffset = causal ? (!pastK && nonpad ? nonpad[b] - Sq : past) : 0;
        for (let h = 0; h < Hq; h++) {
          const kh = Math.floor(h / group);
          for (let i = 0; i < Sq; i++) {
            const qo = ((b * Hq + h) * Sq + i) * D;
            let m = -Infinity;
            for (let j = 0; j < Skv; j++) {
              const ko = ((b * Hkv + kh) * Skv + j) * D;
              let s = 0;
              for (let d = 0; d < D; d++) s += Q[qo + d] * K[ko + d];
              s *= scale;
              if (softcap > 0) s = softcap * Math.tanh(s / softcap);
              raw[j] = s;
              let bias = maskBias ? maskBias(b, h, i, j) : 0;
              if (causal && j > i + causalOffset) bias = -Infinity;
              if (nonpad && j >= nonpad[b]) bias = -Infinity;
              row[j] = s + bias;
              if (row[j] > m) m = row[j];
            }
            const qkOff = ((b * Hq + h) * Sq + i) * Skv;
            if (mode === 2) qk.set(row, qkOff);
            else if (mode !== 3) qk.set(raw, qkOff);
            let sum = 0;
            for (let j = 0; j < Skv; j++) {
              row[j] = m === -Infinity ? 0 : Math.exp(row[j] - m);
              sum += row[j];
            }
            for (let j = 0; j < Skv; j++) row[j] = sum > 0 ? row[j] / sum : 0;
            if (mode === 3) qk.set(row, qkOff);
            const yo = ((b * Hq + h) * Sq + i) * Dv;
            for (let j = 0; j < Skv; j++) {
              const p = row[j];
              if (p === 0) continue;
              const vo = ((b * Hkv + kh) * Skv + j) * Dv;
              for (let d = 0; d < Dv; d++) y[yo + d] += p * V[vo + d];
            }
          }
        }
      }
      const dtype = qT.dtype;
      const emit = (vals: Float64Array, dims: number[]) => {
        const t = ctx.alloc(dtype, dims);
        writeNumbers(dtype, t.data, vals);
        return t;
      };
      let yOut: Tensor;
      if (qT.dims.length === 3) {
        const y3 = new Float64Array(y.length);
        for (let b = 0; b < B; b++) for (let h = 0; h < Hq; h++) for (let i = 0; i < Sq; i++) for (let d = 0; d < Dv; d++) {
          y3[((b * Sq + i) * Hq + h) * Dv + d] = y[((b * Hq + h) * Sq + i) * Dv + d];
        }
        yOut = emit(y3, [B, Sq, Hq * Dv]);
      } else yOut = emit(y, [B, Hq, Sq, Dv]);
      const outs: (Tensor | null)[] = [yOut];
      if (node.outputCount > 1) outs.push(emit(k.data, k.dims));
      if (node.outputCount > 2) outs.push(emit(v.data, v.dims));
      if (node.outputCount > 3) outs.push(emit(qk, [B, Hq, Sq, Skv]));
      return outs;
    };
  }),
];
