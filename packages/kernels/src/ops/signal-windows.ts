/**
 * Window functions and the mel filter bank of the ONNX signal ops:
 * - HannWindow / HammingWindow / BlackmanWindow(size, periodic=1, output_datatype=1): with N = size (periodic) or
 *   size - 1 (symmetric), w[n] = 0.5 - 0.5 cos(2 pi n / N); 25/46 - 21/46 cos(2 pi n / N);
 *   0.42 - 0.5 cos(2 pi n / N) + 0.08 cos(4 pi n / N).
 * - MelWeightMatrix(num_mel_bins, dft_length, sample_rate, lower_edge_hertz, upper_edge_hertz): [dft_length/2 + 1,
 *   num_mel_bins] triangular filters; edges at floor((dft_length + 1) * hz(mel_i) / sample_rate) for mel_i evenly spaced
 *   by (mel(upper) - mel(lower)) / (num_mel_bins + 2) from mel(lower), mel(f) = 2595 log10(1 + f / 700).
 * Values are computed in double and rounded once into output_datatype. Example: HannWindow(4) = [0, 0.5, 1, 0.5].
 */
import type { KernelVariant } from '../contract.js';
import { attrInt } from './util/attrs.js';
import { kernelError, need } from './util/fail.js';
import { DTYPE_OF_ONNX } from './util/onnx-dtype.js';
import { toInts, toNumbers, writeNumbers } from './util/values.js';
import { scalarKernel } from './util/variant.js';

function windowKernel(opType: string, w: (n: number, N: number) => number): KernelVariant {
  return scalarKernel(opType, (node) => {
    const periodic = attrInt(node, 'periodic', 1) !== 0;
    const code = attrInt(node, 'output_datatype', 1);
    const dtype = DTYPE_OF_ONNX[code];
    if (!dtype) throw kernelError(node, 'attribute "output_datatype"', { expected: 'a supported ONNX data type code', actual: String(code) });
    return (inputs, ctx) => {
      const size = toInts(need(node, inputs, 0))[0];
      const N = periodic ? size : size - 1;
      const vals = Float64Array.from({ length: size }, (_, n) => w(n, N));
      const out = ctx.alloc(dtype, [size]);
      writeNumbers(dtype, out.data, vals);
      return [out];
    };
  });
}

export const SIGNAL_WINDOW_KERNELS: KernelVariant[] = [
  windowKernel('HannWindow', (n, N) => 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / N)),
  windowKernel('HammingWindow', (n, N) => 25 / 46 - (21 / 46) * Math.cos((2 * Math.PI * n) / N)),
  windowKernel('BlackmanWindow', (n, N) => 0.42 - 0.5 * Math.cos((2 * Math.PI * n) / N) + 0.08 * Math.cos((4 * Math.PI * n) / N)),
  scalarKernel('MelWeightMatrix', (node) => {
    const code = attrInt(node, 'output_datatype', 1);
    const dtype = DTYPE_OF_ONNX[code];
    if (!dtype) throw kernelError(node, 'attribute "output_datatype"', { expected: 'a supported ONNX data type code', actual: String(code) });
    return (inputs, ctx) => {
      const [mels, dftLen, rate, lowHz, highHz] = [0, 1, 2, 3, 4].map((i) => toNumbers(need(node, inputs, i))[0]);
      const specBins = Math.floor(dftLen / 2) + 1;
      const toMel = (hz: number) => 2595 * Math.log10(1 + hz / 700);
      const lowMel = toMel(lowHz);
      const step = (toMel(highHz) - lowMel) / (mels + 2);
      const edge = Array.from({ length: mels + 2 }, (_, i) => Math.floor(((dftLen + 1) * 700 * (10 ** ((i * step + lowMel) / 2595) - 1)) / rate));
      const vals = new Float64Array(specBins * mels);
      for (let m = 0; m < mels; m++) {
        const [lo, c, hi] = [edge[m], edge[m + 1], edge[m + 2]];
        if (c === lo) vals[c * mels + m] = 1;
        else for (let j = lo; j <= c; j++) vals[j * mels + m] = (j - lo) / (c - lo);
        if (hi > c) for (let j = c; j < hi; j++) vals[j * mels + m] = (hi - j) / (hi - c);
      }
      const out = ctx.alloc(dtype, [specBins, mels]);
      writeNumbers(dtype, out.data, vals);
      return [out];
    };
  }),
];
