/**
 * Streaming round-to-nearest weight-only quantization of EXTERNAL weights (models whose data outgrow memory).
 *
 * Instead of quantizing every weight while the pass runs, each external float weight becomes three lazy tensors
 * (quantized values, scales, zero points, or MatMulNBits' B/scales/zero points). They compute when first read, which
 * onnx-ir's `saveModel` does one tensor at a time while writing the external-data file: read the weight, quantize,
 * write, release. The weight itself is read in row chunks of about CHUNK_BYTES through the TensorStore
 * (`readTensorRangeSync`), so the float data of a weight is never held whole; what is held is one weight's packed
 * output (1/8 of its float size for 4-bit, plus scales) until its three parts have been read, then dropped.
 *
 * Exactness: blocks never straddle a chunk (MatMul chunks are whole blocks of `bs` rows along K; Gather chunks are
 * whole rows, its blocks run along D), and every block's scale, zero point and values depend only on that block, so
 * the bytes equal the eager path's (`weight-only.ts`), checked by weight-only-stream.test.ts. GPTQ needs the whole
 * weight (its Hessian spans K) and stays eager.
 */
import { DataType, readTensorRangeSync } from '@lowbit/onnx-ir';
import type { LazyTensor, TensorRef, TensorStore } from '@lowbit/onnx-ir';
import { RewriteError } from './errors.js';
import { Q_DATATYPE, quantizeWith, weightQParams, type QSpec } from './qparams-bridge.js';
import { encodeValues } from './tensor-data.js';

/** Float bytes read per chunk (rounded to whole rows / blocks). */
export const CHUNK_BYTES = 16 << 20;

type Parts = readonly [Uint8Array, Uint8Array, Uint8Array];

/** Three lazy tensors sharing one computation, kept only until each of the three has been read once. */
function lazyParts(specs: readonly { name: string; dtype: DataType; dims: readonly number[] }[], compute: () => Parts): LazyTensor[] {
  let cache: Parts | undefined;
  const taken = [false, false, false];
  return specs.map((s, i): LazyTensor => ({
    kind: 'lazy', name: s.name, dtype: s.dtype, dims: [...s.dims],
    compute: () => {
      cache ??= compute();
      const b = cache[i];
      taken[i] = true;
      if (taken.every(Boolean)) {
        cache = undefined;
        taken.fill(false);
      }
      return b;
    },
  }));
}

/** float32 values of elements `[first, first + count)` of a float tensor, read through `store`. */
function floatsRange(w: TensorRef, first: number, count: number, store: TensorStore | undefined, pass: string): Float32Array {
  let b: Uint8Array;
  try {
    b = readTensorRangeSync(w, first * 4, count * 4, store);
  } catch (e) {
    throw new RewriteError({ pass, tensor: w.name }, 'cannot read the weight', e);
  }
  if (b.byteOffset % 4 === 0) return new Float32Array(b.buffer, b.byteOffset, count);
  return new Float32Array(b.slice().buffer, 0, count);
}

/** Stores `q` (element `i` of it at element `at + i`) in raw_data layout of `dtype` (4-bit: low nibble first). */
function packInto(out: Uint8Array, dtype: DataType, q: Int32Array, at: number): void {
  if (dtype === DataType.INT4 || dtype === DataType.UINT4) {
    for (let i = 0; i < q.length; i++) out[(at + i) >> 1] |= (q[i] & 15) << (((at + i) & 1) * 4);
  } else {
    for (let i = 0; i < q.length; i++) out[at + i] = q[i] & 255;
  }
}

function packedBytes(dtype: DataType, n: number): number {
  return dtype === DataType.INT4 || dtype === DataType.UINT4 ? (n + 1) >> 1 : n;
}

/** Rows per chunk: a multiple of `unit`, at least `unit`, about CHUNK_BYTES of float data. */
function chunkRows(rowElems: number, unit: number, chunkBytes = CHUNK_BYTES): number {
  return Math.max(unit, Math.floor(chunkBytes / 4 / Math.max(1, rowElems) / unit) * unit);
}

/** Where weights are read from, and the chunk size (tests make it small to exercise chunk boundaries). */
export interface StreamIo {
  readonly store?: TensorStore;
  /** Float bytes per chunk; default CHUNK_BYTES. */
  readonly chunkBytes?: number;
}

export interface StreamNames {
  readonly q: string;
  readonly scale: string;
  readonly zeroPoint: string;
}

/** MatMul B `[K, N]`, blocks of `bs` along K: lazy `q [K, N]`, `scale [ceil(K/bs), N]`, `zero_point [ceil(K/bs), N]`. */
export function streamMatMulQdq(w: TensorRef, names: StreamNames, spec: QSpec, bs: number, io: StreamIo, pass: string): LazyTensor[] {
  const [k, n] = w.dims;
  const nb = Math.ceil(k / bs);
  const qt = Q_DATATYPE[spec.dtype];
  return lazyParts([{ name: names.q, dtype: qt, dims: [k, n] }, { name: names.scale, dtype: DataType.FLOAT, dims: [nb, n] }, { name: names.zeroPoint, dtype: qt, dims: [nb, n] }], () => {
    const q = new Uint8Array(packedBytes(qt, k * n));
    const scales = new Float32Array(nb * n);
    const zps = new Int32Array(nb * n);
    blocksAlongK(w, k, n, spec, bs, io, pass, (r0, rows, vals, p) => {
      scales.set(p.scales, (r0 / bs) * n);
      zps.set(p.zeroPoints, (r0 / bs) * n);
      packInto(q, qt, quantizeWith(vals, [rows, n], p, spec.dtype, 0, bs), r0 * n);
    });
    return [q, new Uint8Array(scales.buffer), encodeValues(qt, zps)];
  });
}

function blocksAlongK(w: TensorRef, k: number, n: number, spec: QSpec, bs: number, io: StreamIo, pass: string, each: (r0: number, rows: number, vals: Float32Array, p: ReturnType<typeof weightQParams>) => void): void {
  const step = chunkRows(n, bs, io.chunkBytes);
  for (let r0 = 0; r0 < k; r0 += step) {
    const rows = Math.min(step, k - r0);
    const vals = floatsRange(w, r0 * n, rows * n, io.store, pass);
    each(r0, rows, vals, weightQParams(vals, [rows, n], spec, 0, bs));
  }
}

/**
 * MatMul B `[K, N]` as com.microsoft MatMulNBits: lazy `B [N, nBlocks, bs/2]` uint8, `scales [N * nBlocks]`,
 * `zero_points [N * ceil(nBlocks/2)]` uint8, in the layout of weight-only.ts (`offset` 8 stores int4 as uint4).
 */
export function streamMatMulNBits(w: TensorRef, names: StreamNames, spec: QSpec, bs: number, offset: number, io: StreamIo, pass: string): LazyTensor[] {
  const [k, nn] = w.dims;
  const nb = Math.ceil(k / bs);
  const blob = bs / 2;
  const zpBytes = Math.ceil(nb / 2);
  return lazyParts([{ name: names.q, dtype: DataType.UINT8, dims: [nn, nb, blob] }, { name: names.scale, dtype: DataType.FLOAT, dims: [nn * nb] }, { name: names.zeroPoint, dtype: DataType.UINT8, dims: [nn * zpBytes] }], () => {
    const B = new Uint8Array(nn * nb * blob);
    const S = new Float32Array(nn * nb);
    const Z = new Uint8Array(nn * zpBytes);
    blocksAlongK(w, k, nn, spec, bs, io, pass, (r0, rows, vals, p) => {
      const q = quantizeWith(vals, [rows, nn], p, spec.dtype, 0, bs);
      const b0 = r0 / bs;
      for (let j = 0; j < nn; j++) for (let bl = 0; bl < p.dims[0]; bl++) {
        const b = b0 + bl;
        S[j * nb + b] = p.scales[bl * nn + j];
        const z = p.zeroPoints[bl * nn + j] + offset;
        Z[j * zpBytes + (b >> 1)] |= (z & 15) << ((b & 1) * 4);
        for (let t = 0; t < bs; t++) {
          const i = b * bs + t; // row in the whole weight
          const v = i < k ? q[(i - r0) * nn + j] + offset : z;
          B[(j * nb + b) * blob + (t >> 1)] |= (v & 15) << ((t & 1) * 4);
        }
      }
    });
    return [B, new Uint8Array(S.buffer), Z];
  });
}

/** Gather table W `[V, D]`, blocks of `bs` along D: lazy `q [V, D]`, `scale [V, ceil(D/bs)]`, `zero_point` alike. */
export function streamGather(w: TensorRef, names: StreamNames, spec: QSpec, bs: number, io: StreamIo, pass: string): LazyTensor[] {
  const [v, d] = w.dims;
  const nb = Math.ceil(d / bs);
  const qt = Q_DATATYPE[spec.dtype];
  return lazyParts([{ name: names.q, dtype: qt, dims: [v, d] }, { name: names.scale, dtype: DataType.FLOAT, dims: [v, nb] }, { name: names.zeroPoint, dtype: qt, dims: [v, nb] }], () => {
    const q = new Uint8Array(packedBytes(qt, v * d));
    const scales = new Float32Array(v * nb);
    const zps = new Int32Array(v * nb);
    const step = chunkRows(d, 1, io.chunkBytes);
    for (let r0 = 0; r0 < v; r0 += step) {
      const rows = Math.min(step, v - r0);
      const vals = floatsRange(w, r0 * d, rows * d, io.store, pass);
      const p = weightQParams(vals, [rows, d], spec, 1, bs);
      scales.set(p.scales, r0 * nb);
      zps.set(p.zeroPoints, r0 * nb);
      packInto(q, qt, quantizeWith(vals, [rows, d], p, spec.dtype, 1, bs), r0 * d);
    }
    return [q, new Uint8Array(scales.buffer), encodeValues(qt, zps)];
  });
}
