/**
 * CausalConvWithState(input [B, C, L], weight [C, 1, k], bias [C]?, past_state [B, C, k-1]?, activation
 * none|silu|swish) -> (output [B, C, L], present_state [B, C, k-1]): a depthwise causal Conv1d over the input
 * left-padded with past_state (zeros when absent): y[b, c, t] = bias[c] + sum_j padded[b, c, t + j] * w[c, 0, j],
 * optionally followed by SiLU y * sigmoid(y). present_state is the last k-1 steps of the padded input.
 * Computed in double, rounded once.
 */
import type { KernelVariant } from '../contract.js';
import { attrString } from './util/attrs.js';
import { kernelError, need } from './util/fail.js';
import { toNumbers, writeNumbers } from './util/values.js';
import { scalarKernel } from './util/variant.js';

export const CAUSAL_CONV_KERNELS: KernelVariant[] = [
  scalarKernel('CausalConvWithState', (node) => {
    const act = attrString(node, 'activation', 'none');
    if (!['none', 'silu', 'swish'].includes(act)) throw kernelError(node, 'attribute "activation"', { expected: 'none|silu|swish', actual: act });
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      const w = need(node, inputs, 1);
      if (x.dims.length !== 3) throw kernelError(node, 'shape', { inputIndex: 0, expected: '[B, C, L]', actual: `[${x.dims}]` });
      const [B, C, L] = x.dims;
      const k = w.dims[2];
      if (w.dims.length !== 3 || w.dims[0] !== C || w.dims[1] !== 1) throw kernelError(node, 'shape', { inputIndex: 1, expected: `[${C}, 1, k]`, actual: `[${w.dims}]` });
      const X = toNumbers(x);
      const W = toNumbers(w);
      const bias = inputs[2] ? toNumbers(inputs[2]) : undefined;
      const past = inputs[3] ? toNumbers(inputs[3]) : undefined;
      const P = L + k - 1;
      const y = new Float64Array(B * C * L);
      const state = new Float64Array(B * C * (k - 1));
      const padded = new Float64Array(P);
      for (let b = 0; b < B; b++) {
        for (let c = 0; c < C; c++) {
          const bc = b * C + c;
          for (let t = 0; t < k - 1; t++) padded[t] = past ? past[bc * (k - 1) + t] : 0;
          for (let t = 0; t < L; t++) padded[k - 1 + t] = X[bc * L + t];
          for (let t = 0; t < L; t++) {
            let v = bias ? bias[c] : 0;
            for (let j = 0; j < k; j++) v += padded[t + j] * W[c * k + j];
            if (act !== 'none') {
              v = Math.fround(v);
              v /= 1 + Math.exp(-v);
            }
            y[bc * L + t] = v;
          }
          for (let t = 0; t < k - 1; t++) state[bc * (k - 1) + t] = padded[P - (k - 1) + t];
        }
      }
      const out = ctx.alloc(x.dtype, [B, C, L]);
      writeNumbers(x.dtype, out.data, y);
      const st = ctx.alloc(x.dtype, [B, C, k - 1]);
      writeNumbers(x.dtype, st.data, state);
      return [out, st];
    };
  }),
];
