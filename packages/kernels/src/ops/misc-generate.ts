/**
 * Small standalone ops:
 * - HannWindow / HammingWindow / BlackmanWindow(size, periodic=1, output_datatype=1): with N = size (periodic) or
 *   size - 1 (symmetric), w[n] = 0.5 - 0.5 cos(2 pi n / N); 25/46 - 21/46 cos(2 pi n / N);
 *   0.42 - 0.5 cos(2 pi n / N) + 0.08 cos(4 pi n / N).
 * - MelWeightMatrix(num_mel_bins, dft_length, sample_rate, lower_edge_hertz, upper_edge_hertz): [dft_length/2 + 1,
 *   num_mel_bins] triangular filters; edges at floor((dft_length + 1) * hz(mel_i) / sample_rate) for mel_i evenly spaced
 *   by (mel(upper) - mel(lower)) / (num_mel_bins + 2) from mel(lower), mel(f) = 2595 log10(1 + f / 700).
 * - BitCast(to): reinterprets each element's bytes (little-endian) as the target type of the same width.
 * - Det: determinant of the trailing [M, M] matrices, by LU decomposition with partial pivoting in double.
 * - StringConcat: element-wise concatenation of two broadcast string tensors.
 */
import type { KernelVariant } from '../contract.js';
import type { DType } from '../tensor.js';
import { attrInt } from './util/attrs.js';
import { broadcastIndex, broadcastShapes } from './util/broadcast.js';
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

const BYTES: Partial<Record<DType, number>> = {
  float32: 4, float64: 8, float16: 2, bfloat16: 2, int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8, uint64: 8, bool: 1,
};

export const MISC_GENERATE_KERNELS: KernelVariant[] = [
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
  scalarKernel('BitCast', (node) => {
    const code = attrInt(node, 'to', 0);
    const to = DTYPE_OF_ONNX[code];
    if (!to || !BYTES[to]) throw kernelError(node, 'attribute "to"', { expected: 'a fixed-width numeric or bool type', actual: String(code) });
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      if (BYTES[x.dtype] !== BYTES[to]) {
        throw kernelError(node, 'dtype width', { inputIndex: 0, expected: `${BYTES[to]} bytes like ${to}`, actual: `${x.dtype}` });
      }
      const out = ctx.alloc(to, x.dims);
      const src = x.data as unknown as ArrayBufferView;
      const dst = out.data as unknown as ArrayBufferView;
      new Uint8Array(dst.buffer, dst.byteOffset, dst.byteLength).set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength));
      return [out];
    };
  }),
  scalarKernel('Det', (node) => (inputs, ctx) => {
    const x = need(node, inputs, 0);
    const r = x.dims.length;
    const m = x.dims[r - 1];
    if (r < 2 || x.dims[r - 2] !== m) throw kernelError(node, 'shape', { inputIndex: 0, expected: '[..., M, M]', actual: `[${x.dims}]` });
    const X = toNumbers(x);
    const count = x.data.length / Math.max(m * m, 1);
    const vals = new Float64Array(count);
    for (let b = 0; b < count; b++) {
      const a = Array.from({ length: m * m }, (_, i) => X[b * m * m + i]);
      let det = 1;
      for (let c = 0; c < m; c++) {
        let piv = c;
        for (let i = c + 1; i < m; i++) if (Math.abs(a[i * m + c]) > Math.abs(a[piv * m + c])) piv = i;
        if (a[piv * m + c] === 0) {
          det = 0;
          break;
        }
        if (piv !== c) {
          for (let j = 0; j < m; j++) [a[c * m + j], a[piv * m + j]] = [a[piv * m + j], a[c * m + j]];
          det = -det;
        }
        det *= a[c * m + c];
        for (let i = c + 1; i < m; i++) {
          const fct = a[i * m + c] / a[c * m + c];
          for (let j = c; j < m; j++) a[i * m + j] -= fct * a[c * m + j];
        }
      }
      vals[b] = det;
    }
    const out = ctx.alloc(x.dtype, x.dims.slice(0, r - 2));
    writeNumbers(x.dtype, out.data, vals);
    return [out];
  }),
  scalarKernel('StringConcat', (node) => (inputs, ctx) => {
    const a = need(node, inputs, 0);
    const b = need(node, inputs, 1);
    for (const [i, t] of [a, b].entries()) {
      if (t.dtype !== 'string') throw kernelError(node, 'dtype', { inputIndex: i, expected: 'string', actual: t.dtype });
    }
    const dims = broadcastShapes(node, [a.dims, b.dims]);
    const out = ctx.alloc('string', dims);
    const ia = broadcastIndex(dims, a.dims);
    const ib = broadcastIndex(dims, b.dims);
    const A = a.data as string[];
    const B = b.data as string[];
    for (let i = 0; i < out.data.length; i++) out.data[i] = A[ia ? ia[i] : i] + B[ib ? ib[i] : i];
    return [out];
  }),
];
