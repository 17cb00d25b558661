/**
 * RotaryEmbedding (opset 23): rotates the first R = rotary_embedding_dim (default: head size D) channels of every
 * head by position-dependent angles. Input [B, heads, S, D], or [B, S, heads * D] with num_heads. cos/sin are
 * cos_cache[position_ids[b, s], j] when position_ids is given, else cos_cache[b, s, j] (j < R/2). Pairs are
 * (x[j], x[j + R/2]) (default) or (x[2j], x[2j+1]) with interleaved=1, and become
 * (cos*x1 - sin*x2, sin*x1 + cos*x2); channels >= R pass through. Computed in double, rounded once.
 */
import type { KernelVariant } from '../contract.js';
import { attrInt } from './util/attrs.js';
import { kernelError, need } from './util/fail.js';
import { toNumbers, writeNumbers } from './util/values.js';
import { scalarKernel } from './util/variant.js';

export const ROTARY_KERNELS: KernelVariant[] = [
  scalarKernel('RotaryEmbedding', (node) => {
    const interleaved = attrInt(node, 'interleaved', 0) !== 0;
    const rotAttr = attrInt(node, 'rotary_embedding_dim', 0);
    const numHeadsAttr = attrInt(node, 'num_heads', 0);
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      const cosT = need(node, inputs, 1);
      const sinT = need(node, inputs, 2);
      const pos = inputs[3] ? toNumbers(inputs[3]) : undefined;
      const four = x.dims.length === 4;
      if (!four && (x.dims.length !== 3 || numHeadsAttr <= 0)) {
        throw kernelError(node, 'input shape', { inputIndex: 0, expected: '[B, heads, S, D], or [B, S, hidden] with num_heads', actual: `[${x.dims}]` });
      }
      const [B, H, S, D] = four ? x.dims : [x.dims[0], numHeadsAttr, x.dims[1], x.dims[2] / numHeadsAttr];
      const R = rotAttr || D;
      const half = R / 2;
      const cacheW = cosT.dims[cosT.dims.length - 1];
      if (cacheW !== half) throw kernelError(node, 'cos_cache last dim', { inputIndex: 1, expected: String(half), actual: String(cacheW) });
      const X = toNumbers(x);
      const C = toNumbers(cosT);
      const Sn = toNumbers(sinT);
      const vals = new Float64Array(X.length);
      for (let b = 0; b < B; b++) {
        for (let h = 0; h < H; h++) {
          for (let s = 0; s < S; s++) {
            const base = four ? ((b * H + h) * S + s) * D : ((b * S + s) * H + h) * D;
            const row = (pos ? pos[b * S + s] : b * S + s) * half;
            for (let d = R; d < D; d++) vals[base + d] = X[base + d];
            for (let j = 0; j < half; j++) {
              const [i1, i2] = interleaved ? [2 * j, 2 * j + 1] : [j, j + half];
              const c = C[row + j];
              const sn = Sn[row + j];
              vals[base + i1] = c * X[base + i1] - sn * X[base + i2];
              vals[base + i2] = sn * X[base + i1] + c * X[base + i2];
            }
          }
        }
      }
      const out = ctx.alloc(x.dtype, x.dims);
      writeNumbers(x.dtype, out.data, vals);
      return [out];
    };
  }),
];
