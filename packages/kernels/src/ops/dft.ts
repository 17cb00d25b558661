/**
 * DFT and STFT, real-representation complex tensors (last dim 1 = real, 2 = [re, im]).
 * DFT(x, dft_length?, axis): X[k] = sum_n x[n] e^(-2 pi i k n / L) along `axis` (attribute, default 1, at opset 17;
 * input, default -2, from opset 20; counted on x's dims, never the last), after zero-padding or truncating the axis
 * to L = dft_length. inverse=1 uses e^(+2 pi i k n / L) / L. onesided=1 keeps bins 0..floor(L/2). Output last dim 2.
 * STFT(signal [B, T, 1|2], frame_step, window?, frame_length?, onesided=1): frames f = 0..floor((T - Lf) / step),
 * each multiplied by the window and transformed; output [B, frames, bins, 2].
 * Naive O(L^2) sums in double; cos/sin of the exact angle 2 pi (k n mod L) / L.
 */
import type { KernelVariant } from '../contract.js';
import { attrInt } from './util/attrs.js';
import { kernelError, need } from './util/fail.js';
import { toInts, toNumbers, writeNumbers } from './util/values.js';
import { scalarKernel } from './util/variant.js';

/** One complex DFT of `len` samples read through `get(n) -> [re, im]` (zero beyond `avail`). */
function dft1(get: (n: number) => [number, number], avail: number, len: number, bins: number, inverse: boolean): Float64Array {
  const out = new Float64Array(bins * 2);
  const sign = inverse ? 1 : -1;
  for (let k = 0; k < bins; k++) {
    let re = 0;
    let im = 0;
    for (let n = 0; n < Math.min(avail, len); n++) {
      const [a, b] = get(n);
      const ang = (sign * 2 * Math.PI * ((k * n) % len)) / len;
      const c = Math.cos(ang);
      const s = Math.sin(ang);
      re += a * c - b * s;
      im += a * s + b * c;
    }
    out[2 * k] = inverse ? re / len : re;
    out[2 * k + 1] = inverse ? im / len : im;
  }
  return out;
}

export const DFT_KERNELS: KernelVariant[] = [
  scalarKernel('DFT', (node) => {
    const inverse = attrInt(node, 'inverse', 0) !== 0;
    const onesided = attrInt(node, 'onesided', 0) !== 0;
    const axisAttr = attrInt(node, 'axis', 1);
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      const rank = x.dims.length;
      const comp = x.dims[rank - 1];
      if (comp !== 1 && comp !== 2) throw kernelError(node, 'last dim', { inputIndex: 0, expected: '1 (real) or 2 (complex)', actual: String(comp) });
      let axis = node.opset < 20 ? axisAttr : inputs[2] && inputs[2].data.length > 0 ? toInts(inputs[2])[0] : -2;
      if (axis < 0) axis += rank;
      if (axis < 0 || axis >= rank - 1) throw kernelError(node, 'axis', { expected: `a signal axis in [0, ${rank - 2}]`, actual: String(axis) });
      const n0 = x.dims[axis];
      const irfft = inverse && onesided;
      const L = inputs[1] && inputs[1].data.length > 0 ? toInts(inputs[1])[0] : irfft ? 2 * (n0 - 1) : n0;
      const bins = irfft ? L : onesided ? Math.floor(L / 2) + 1 : L;
      const outComp = irfft ? 1 : 2;
      const outer = x.dims.slice(0, axis).reduce((p, d) => p * d, 1);
      const inner = x.dims.slice(axis + 1, rank - 1).reduce((p, d) => p * d, 1);
      const X = toNumbers(x);
      const dims = [...x.dims.slice(0, rank - 1), outComp];
      dims[axis] = bins;
      const vals = new Float64Array(dims.reduce((p, d) => p * d, 1));
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          const at = (n: number) => ((o * n0 + n) * inner + i) * comp;
          const sample = (n: number): [number, number] => [X[at(n)], comp === 2 ? X[at(n) + 1] : 0];
          // irfft: rebuild the Hermitian spectrum X[L - k] = conj(X[k]) from the one-sided input.
          const get = irfft
            ? (k: number): [number, number] => {
              if (k < n0) return sample(k);
              const [re, im] = sample(L - k);
              return [re, -im];
            }
            : sample;
          const r = dft1(get, irfft ? L : n0, L, bins, inverse);
          for (let k = 0; k < bins; k++) {
            const dst = ((o * bins + k) * inner + i) * outComp;
            vals[dst] = r[2 * k];
            if (outComp === 2) vals[dst + 1] = r[2 * k + 1];
          }
        }
      }
      const out = ctx.alloc(x.dtype, dims);
      writeNumbers(x.dtype, out.data, vals);
      return [out];
    };
  }),
  scalarKernel('STFT', (node) => {
    const onesided = attrInt(node, 'onesided', 1) !== 0;
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      const step = toInts(need(node, inputs, 1))[0];
      const win = inputs[2] ? toNumbers(inputs[2]) : undefined;
      const fl = inputs[3] && inputs[3].data.length > 0 ? toInts(inputs[3])[0] : win ? win.length : 0;
      if (fl <= 0) throw kernelError(node, 'frame length', { inputIndex: 3, expected: 'a window or a frame_length', actual: 'neither' });
      const [B, T, comp] = x.dims;
      const frames = Math.floor((T - fl) / step) + 1;
      const bins = onesided ? Math.floor(fl / 2) + 1 : fl;
      const X = toNumbers(x);
      const vals = new Float64Array(B * frames * bins * 2);
      for (let b = 0; b < B; b++) {
        for (let f = 0; f < frames; f++) {
          const at = (n: number) => (b * T + f * step + n) * comp;
          const w = (n: number) => (win ? win[n] : 1);
          const r = dft1((n) => [X[at(n)] * w(n), comp === 2 ? X[at(n) + 1] * w(n) : 0], fl, fl, bins, false);
          vals.set(r, (b * frames + f) * bins * 2);
        }
      }
      const out = ctx.alloc(x.dtype, [B, frames, bins, 2]);
      writeNumbers(x.dtype, out.data, vals);
      return [out];
    };
  }),
];
