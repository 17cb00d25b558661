/**
 * LinearAttention(query [B, T, Hq*dk], key [B, T, Hkv*dk], value [B, T, Hkv*dv], past_state [B, Hkv, dk, dv]?,
 * decay?, beta?, erase_gate?; update_rule linear|gated|delta|gated_delta, q_num_heads, kv_num_heads, scale)
 * -> (output [B, T, Hq*dv], present_state). A recurrent state S per (batch, kv head) evolves step by step:
 * gated rules first decay S[d, :] *= exp(decay_t[d]) (decay per head or per key dim); delta rules replace v_t by
 * beta_t * (v_t - S^T (e_t . k_t)) (e = erase_gate, else 1); then S += k_t v_t^T. Output for query head h is
 * scale * q_t^T S of kv head h / (Hq / Hkv); scale defaults to 1/sqrt(dk). Computed in double, rounded once.
 */
import type { KernelVariant } from '../contract.js';
import { attrFloat, attrInt, attrString } from './util/attrs.js';
import { kernelError, need } from './util/fail.js';
import { toNumbers, writeNumbers } from './util/values.js';
import { scalarKernel } from './util/variant.js';

export const LINEAR_ATTENTION_KERNELS: KernelVariant[] = [
  scalarKernel('LinearAttention', (node) => {
    const rule = attrString(node, 'update_rule', 'gated_delta');
    if (!['linear', 'gated', 'delta', 'gated_delta'].includes(rule)) {
      throw kernelError(node, 'attribute "update_rule"', { expected: 'linear|gated|delta|gated_delta', actual: rule });
    }
    const Hq = attrInt(node, 'q_num_heads', 0);
    const Hkv = attrInt(node, 'kv_num_heads', 0);
    if (Hq <= 0 || Hkv <= 0 || Hq % Hkv !== 0) {
      throw kernelError(node, 'attributes q_num_heads/kv_num_heads', { expected: 'positive, q a multiple of kv', actual: `${Hq}/${Hkv}` });
    }
    const scaleAttr = attrFloat(node, 'scale', 0);
    const gated = rule === 'gated' || rule === 'gated_delta';
    const delta = rule === 'delta' || rule === 'gated_delta';
    return (inputs, ctx) => {
      const qT = need(node, inputs, 0);
      const Q = toNumbers(qT);
      const K = toNumbers(need(node, inputs, 1));
      const vT = need(node, inputs, 2);
      const V = toNumbers(vT);
      const past = inputs[3];
      const decayT = gated ? need(node, inputs, 4) : null;
      const betaT = delta ? need(node, inputs, 5) : null;
      const erase = delta && inputs[6] ? toNumbers(inputs[6]) : undefined;
      const [B, T] = qT.dims;
      const dk = qT.dims[2] / Hq;
      const dv = vT.dims[2] / Hkv;
      const group = Hq / Hkv;
      const scale = scaleAttr || 1 / Math.sqrt(dk);
      const S = past ? Float64Array.from(toNumbers(past)) : new Float64Array(B * Hkv * dk * dv);
      const D = decayT ? toNumbers(decayT) : undefined;
      const perDim = decayT ? decayT.dims[2] === Hkv * dk : false;
      const Bt = betaT ? toNumbers(betaT) : undefined;
      const betaW = betaT ? betaT.dims[2] : 1;
      const out = new Float64Array(B * T * Hq * dv);
      const vt = new Float64Array(dv);
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < T; t++) {
          const bt = b * T + t;
          for (let h = 0; h < Hkv; h++) {
            const s0 = (b * Hkv + h) * dk * dv;
            const k0 = (bt * Hkv + h) * dk;
            if (D) {
              for (let d = 0; d < dk; d++) {
                const g = Math.exp(perDim ? D[(bt * Hkv + h) * dk + d] : D[bt * Hkv + h]);
                for (let m = 0; m < dv; m++) S[s0 + d * dv + m] *= g;
              }
            }
            for (let m = 0; m < dv; m++) vt[m] = V[(bt * Hkv + h) * dv + m];
            if (Bt) {
              const beta = Bt[bt * betaW + (betaW === 1 ? 0 : h)];
              for (let m = 0; m < dv; m++) {
                let r = 0;
                for (let d = 0; d < dk; d++) r += S[s0 + d * dv + m] * (erase ? erase[k0 + d] * K[k0 + d] : K[k0 + d]);
                vt[m] = beta * (vt[m] - r);
              }
            }
            for (let d = 0; d < dk; d++) for (let m = 0; m < dv; m++) S[s0 + d * dv + m] += K[k0 + d] * vt[m];
          }
          for (let hq = 0; hq < Hq; hq++) {
            const s0 = (b * Hkv + Math.floor(hq / group)) * dk * dv;
            const q0 = (bt * Hq + hq) * dk;
            for (let m = 0; m < dv; m++) {
              let acc = 0;
              for (let d = 0; d < dk; d++) acc += Q[q0 + d] * S[s0 + d * dv + m];
              out[(bt * Hq + hq) * dv + m] = scale * acc;
            }
          }
        }
      }
      const y = ctx.alloc(qT.dtype, [B, T, Hq * dv]);
      writeNumbers(qT.dtype, y.data, out);
      const stDtype = past ? past.dtype : qT.dtype;
      const st = ctx.alloc(stDtype, [B, Hkv, dk, dv]);
      writeNumbers(stDtype, st.data, S);
      return [y, st];
    };
  }),
];
