/**
 * The one bridge from the rewriters to @lowbit/qparams: every scale and zero point a rewriter emits comes through
 * here, and here only calls qparams (no formula is recomputed locally).
 */
import { DataType } from '@lowbit/onnx-ir';

/** Quantized element types the rewriters emit. */
export type QType = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint4' | 'int4';
export type QScheme = 'asymmetric' | 'symmetric' | 'symmetric-restricted';

export interface QSpec {
  readonly dtype: QType;
  readonly scheme: QScheme;
  /** 7-bit (or n-1 bit) range, for x86 kernels without VNNI. */
  readonly reduceRange?: boolean;
}

/** Per-tensor parameters. */
export interface QParam {
  readonly scale: number;
  readonly zeroPoint: number;
}

/** Per-axis or per-block parameters: `scales`/`zeroPoints` laid out in the ONNX scale-tensor shape `dims`. */
export interface QParamSet {
  readonly scales: Float32Array;
  readonly zeroPoints: Int32Array;
  readonly dims: readonly number[];
}

export const Q_DATATYPE: Readonly<Record<QType, DataType>> = {
  uint8: DataType.UINT8, int8: DataType.INT8, uint16: DataType.UINT16, int16: DataType.INT16,
  uint4: DataType.UINT4, int4: DataType.INT4,
};

export function qRange(dtype: QType): { qmin: number; qmax: number } {
  switch (dtype) {
    case 'uint8': return { qmin: 0, qmax: 255 };
    case 'int8': return { qmin: -128, qmax: 127 };
    case 'uint16': return { qmin: 0, qmax: 65535 };
    case 'int16': return { qmin: -32768, qmax: 32767 };
    case 'uint4': return { qmin: 0, qmax: 15 };
    case 'int4': return { qmin: -8, qmax: 7 };
  }
}

// ---- TEMPORARY until @lowbit/qparams exports its API (replaced by calls to qparamsFromRange/chooseQParams). ----
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}
function fromRange(min: number, max: number, spec: QSpec): QParam {
  let { qmin, qmax } = qRange(spec.dtype);
  if (spec.reduceRange) { qmin = qmin < 0 ? -(2 ** (Math.log2(-qmin) - 1)) : 0; qmax = qmin < 0 ? -qmin - 1 : (qmax + 1) / 2 - 1; }
  let lo = Math.min(min, 0), hi = Math.max(max, 0);
  if (spec.scheme !== 'asymmetric') {
    const a = Math.max(Math.abs(lo), Math.abs(hi));
    if (spec.scheme === 'symmetric-restricted' && qmin < 0) qmin = -qmax;
    const scale = Math.fround(Math.max(a / ((qmax - qmin) / 2), 1e-12) || 1);
    const zp = qmin < 0 ? 0 : roundHalfEven((qmin + qmax + 1) / 2);
    return { scale: a === 0 ? 1 : scale, zeroPoint: zp };
  }
  if (hi === lo) return { scale: 1, zeroPoint: qmin < 0 ? 0 : qmin };
  const scale = Math.fround((hi - lo) / (qmax - qmin));
  const zp = Math.min(qmax, Math.max(qmin, roundHalfEven(qmin - lo / scale)));
  return { scale, zeroPoint: zp };
}
// ---- end TEMPORARY ----

/** Scale and zero point for a calibrated range (qparams `qparamsFromRange`). */
export function rangeQParams(range: { readonly min: number; readonly max: number }, spec: QSpec): QParam {
  return fromRange(range.min, range.max, spec);
}

/**
 * Weight parameters: per-tensor (`axis` undefined), per-axis, or per-block (`blockSize` along `axis`)
 * (qparams `chooseQParams`). Returns scales/zero points in the ONNX scale-tensor shape.
 */
export function weightQParams(values: Float32Array, dims: readonly number[], spec: QSpec, axis?: number, blockSize?: number): QParamSet {
  if (axis === undefined) {
    let lo = Infinity, hi = -Infinity;
    for (const v of values) { if (v < lo) lo = v; if (v > hi) hi = v; }
    const p = fromRange(values.length ? lo : 0, values.length ? hi : 0, spec);
    return { scales: Float32Array.of(p.scale), zeroPoints: Int32Array.of(p.zeroPoint), dims: [] };
  }
  const a = axis < 0 ? axis + dims.length : axis;
  const outer = dims.slice(0, a).reduce((x, y) => x * y, 1);
  const n = dims[a];
  const inner = dims.slice(a + 1).reduce((x, y) => x * y, 1);
  const bs = blockSize ?? 0;
  const nb = bs > 0 ? Math.ceil(n / bs) : 1;
  // per-axis: scale shape [n]; per-block: dims with dims[a] -> ceil(n/bs)
  const sdims = bs > 0 ? dims.map((d, i) => (i === a ? nb : d)) : [n];
  const count = bs > 0 ? outer * nb * inner : n;
  const lo = new Float64Array(count).fill(Infinity);
  const hi = new Float64Array(count).fill(-Infinity);
  for (let o = 0; o < outer; o++) for (let k = 0; k < n; k++) for (let i = 0; i < inner; i++) {
    const v = values[(o * n + k) * inner + i];
    const s = bs > 0 ? (o * nb + Math.floor(k / bs)) * inner + i : k;
    if (v < lo[s]) lo[s] = v;
    if (v > hi[s]) hi[s] = v;
  }
  const scales = new Float32Array(count);
  const zps = new Int32Array(count);
  for (let s = 0; s < count; s++) {
    const p = fromRange(lo[s], hi[s], spec);
    scales[s] = p.scale;
    zps[s] = p.zeroPoint;
  }
  return { scales, zeroPoints: zps, dims: sdims };
}

/** `saturate(roundHalfEven(x / scale) + zp)` in float32, as ONNX QuantizeLinear (qparams `quantize`). */
export function quantizeValue(x: number, scale: number, zeroPoint: number, dtype: QType | 'int32'): number {
  const { qmin, qmax } = dtype === 'int32' ? { qmin: -2147483648, qmax: 2147483647 } : qRange(dtype);
  const q = roundHalfEven(Math.fround(x / scale)) + zeroPoint;
  return Math.min(qmax, Math.max(qmin, q));
}

/**
 * Quantize `values` laid out as `dims` with parameters `p` (scalar, per-axis `axis`, or per-block `blockSize`).
 */
export function quantizeWith(values: Float32Array, dims: readonly number[], p: QParamSet, dtype: QType | 'int32', axis?: number, blockSize?: number): Int32Array {
  const out = new Int32Array(values.length);
  if (axis === undefined || p.dims.length === 0) {
    for (let i = 0; i < values.length; i++) out[i] = quantizeValue(values[i], p.scales[0], p.zeroPoints[0], dtype);
    return out;
  }
  const a = axis < 0 ? axis + dims.length : axis;
  const outer = dims.slice(0, a).reduce((x, y) => x * y, 1);
  const n = dims[a];
  const inner = dims.slice(a + 1).reduce((x, y) => x * y, 1);
  const bs = blockSize ?? 0;
  const nb = bs > 0 ? Math.ceil(n / bs) : 1;
  for (let o = 0; o < outer; o++) for (let k = 0; k < n; k++) for (let i = 0; i < inner; i++) {
    const idx = (o * n + k) * inner + i;
    const s = bs > 0 ? (o * nb + Math.floor(k / bs)) * inner + i : k;
    out[idx] = quantizeValue(values[idx], p.scales[s], p.zeroPoints[s], dtype);
  }
  return out;
}
