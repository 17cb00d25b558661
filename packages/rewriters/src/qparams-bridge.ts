/**
 * The one bridge from the rewriters to @lowbit/qparams: every scale and zero point a rewriter emits comes through
 * here, and here only calls qparams (no formula is recomputed locally).
 */
import { DataType } from '@lowbit/onnx-ir';
import { chooseQParams, qparamsFromRange, quantize, roundHalfEven, type IntQuantDType, type Scheme } from '@lowbit/qparams';


export interface QSpec {
  readonly dtype: IntQuantDType;
  readonly scheme: Scheme;
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

/** The ONNX element type of each quantized storage type. */
export const Q_DATATYPE: Readonly<Record<IntQuantDType, DataType>> = {
  uint8: DataType.UINT8, int8: DataType.INT8, uint16: DataType.UINT16, int16: DataType.INT16,
  uint4: DataType.UINT4, int4: DataType.INT4,
  uint2: DataType.UINT2, int2: DataType.INT2,
};

/** Scale and zero point for a calibrated range (qparams `qparamsFromRange`). */
export function rangeQParams(range: { readonly min: number; readonly max: number }, spec: QSpec): QParam {
  const p = qparamsFromRange(range, { dtype: spec.dtype, scheme: spec.scheme, reduceRange: spec.reduceRange ?? false });
  return { scale: p.scale, zeroPoint: p.zeroPoint };
}

/**
 * Weight parameters: per-tensor (`axis` undefined), per-axis, or per-block (`blockSize` along `axis`), from
 * qparams `chooseQParams`. When the block size does not divide `dims[axis]` (a shorter last block, which ONNX allows
 * but chooseQParams does not), each block's min/max goes through `qparamsFromRange` instead.
 * Returns scales/zero points in the ONNX scale-tensor shape.
 */
export function weightQParams(values: Float32Array, dims: readonly number[], spec: QSpec, axis?: number, blockSize?: number): QParamSet {
  const opts = { dtype: spec.dtype, scheme: spec.scheme, reduceRange: spec.reduceRange ?? false };
  if (axis === undefined) {
    const c = chooseQParams({ data: values, dims }, { ...opts, granularity: 'per-tensor' });
    return { scales: Float32Array.from(c.scale), zeroPoints: Int32Array.from(c.zeroPoint), dims: [] };
  }
  const a = axis < 0 ? axis + dims.length : axis;
  if (!blockSize) {
    const c = chooseQParams({ data: values, dims }, { ...opts, granularity: 'per-axis', axis: a });
    return { scales: Float32Array.from(c.scale), zeroPoints: Int32Array.from(c.zeroPoint), dims: [...c.paramDims] };
  }
  if (dims[a] % blockSize === 0) {
    const c = chooseQParams({ data: values, dims }, { ...opts, granularity: 'per-block', axis: a, blockSize });
    return { scales: Float32Array.from(c.scale), zeroPoints: Int32Array.from(c.zeroPoint), dims: [...c.paramDims] };
  }
  const outer = dims.slice(0, a).reduce((x, y) => x * y, 1);
  const n = dims[a];
  const inner = dims.slice(a + 1).reduce((x, y) => x * y, 1);
  const nb = Math.ceil(n / blockSize);
  const count = outer * nb * inner;
  const lo = new Float64Array(count).fill(Infinity);
  const hi = new Float64Array(count).fill(-Infinity);
  for (let o = 0; o < outer; o++) for (let k = 0; k < n; k++) for (let i = 0; i < inner; i++) {
    const v = values[(o * n + k) * inner + i];
    const g = (o * nb + Math.floor(k / blockSize)) * inner + i;
    if (v < lo[g]) lo[g] = v;
    if (v > hi[g]) hi[g] = v;
  }
  const scales = new Float32Array(count);
  const zps = new Int32Array(count);
  for (let g = 0; g < count; g++) {
    const p = qparamsFromRange({ min: lo[g], max: hi[g] }, opts);
    scales[g] = p.scale;
    zps[g] = p.zeroPoint;
  }
  return { scales, zeroPoints: zps, dims: dims.map((d, i) => (i === a ? nb : d)) };
}

/**
 * Quantize `values` (shape `dims`) with `p`: per-tensor, per-axis (`axis`) or blocked (`axis` + `blockSize`), by
 * qparams `quantize` (ONNX QuantizeLinear: `saturate(roundHalfEven(fround(x / scale)) + zp)`). For the int32 bias
 * (not a QuantizeLinear type) the same formula with zero point 0 and int32 saturation, using qparams `roundHalfEven`.
 */
export function quantizeWith(values: Float32Array, dims: readonly number[], p: QParamSet, dtype: IntQuantDType | 'int32', axis?: number, blockSize?: number): Int32Array {
  const perTensor = axis === undefined || p.dims.length === 0;
  if (dtype === 'int32') {
    const out = new Int32Array(values.length);
    const a = perTensor ? 0 : axis < 0 ? axis + dims.length : axis;
    const inner = perTensor ? 1 : dims.slice(a + 1).reduce((x, y) => x * y, 1);
    const n = perTensor ? 1 : dims[a];
    for (let i = 0; i < values.length; i++) {
      const s = perTensor ? p.scales[0] : p.scales[Math.floor(i / inner) % n];
      const q = roundHalfEven(Math.fround(values[i] / s));
      out[i] = Math.min(2147483647, Math.max(-2147483648, q));
    }
    return out;
  }
  const q = quantize(values, dims, {
    dtype, scale: p.scales, zeroPoint: p.zeroPoints,
    ...(perTensor ? {} : { axis, paramDims: p.dims, blockSize: blockSize ?? 0 }),
  });
  return Int32Array.from(q);
}

/** Quantize one row `[1, n]` with per-column parameters (qparams `quantize`, per-axis on axis 1). */
export function quantizeRow(values: ArrayLike<number>, scales: Float32Array, zeroPoints: Int32Array, dtype: IntQuantDType): Int32Array {
  const n = values.length;
  return Int32Array.from(quantize(Float32Array.from(values), [1, n], { dtype, scale: scales, zeroPoint: zeroPoints, axis: 1, paramDims: [n] }));
}
