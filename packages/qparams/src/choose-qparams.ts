import { allocQuant, isFloatQuantDType, type QuantStorage } from './dtypes.js';
import { checkDims, type Granularity, normalizeAxis, sizeOf } from './layout.js';
import { QParamsError } from './qparams-error.js';
import { qparamsFromRange, type QParamsOptions } from './qparams-from-range.js';
import type { QuantParams } from './quant-params.js';

/** A float tensor: row-major float32 values and dims. */
export interface FloatTensorLike {
  readonly data: ArrayLike<number>;
  readonly dims: readonly number[];
}

export interface ChooseQParamsOptions extends QParamsOptions {
  /** Default `per-tensor`. */
  readonly granularity?: Granularity;
  /** Required for per-axis and per-block; negative counts from the back (as ONNX `axis`). */
  readonly axis?: number;
  /** Required for per-block: elements per block along `axis`; must divide dims[axis] (else QParamsError). */
  readonly blockSize?: number;
}

/** What {@link chooseQParams} picked: ready for `quantize`/`dequantize`, plus the per-parameter ranges. */
export interface ChosenQParams extends QuantParams {
  readonly granularity: Granularity;
  readonly scale: Float32Array;
  /** In the dtype's storage (float kinds: bit pattern 0). */
  readonly zeroPoint: QuantStorage;
  /** [] per-tensor, [dims[axis]] per-axis, dims with dims[axis] / blockSize per-block. */
  readonly paramDims: readonly number[];
  /** Normalized (non-negative); 0 for per-tensor. */
  readonly axis: number;
  /** 0 unless per-block. */
  readonly blockSize: number;
  /** The targeted integer range (reduced/restricted), the same for every parameter. */
  readonly qmin: number;
  readonly qmax: number;
  /** The observed min and max of each group, before the range is widened to include 0. */
  readonly mins: Float32Array;
  readonly maxs: Float32Array;
}

/**
 * Scales and zero points for `tensor`: a min/max reduction per group (the whole tensor, each index along `axis`,
 * or each block of `blockSize` consecutive indices along `axis`), then {@link qparamsFromRange} on each group's
 * range with `opts`. The result plugs into `quantize(tensor.data, tensor.dims, result)`.
 *
 * Blocked quantization here requires `blockSize` to divide dims[axis] (QParamsError otherwise), although ONNX
 * QuantizeLinear/DequantizeLinear, and so `quantize`/`dequantize`, accept a shorter last block.
 *
 * Example: data [1, -2, 3, 4] dims [2, 2], int8 symmetric per-axis axis 0: rows [1, -2] and [3, 4] give
 * scales 2/127 and 4/127, zero points [0, 0].
 *
 * @throws QParamsError for an empty tensor, a NaN or infinite element (naming its index), a missing or
 * out-of-range axis, a block size that is not a positive divisor of dims[axis], or any qparamsFromRange error.
 */
export function chooseQParams(tensor: FloatTensorLike, opts: ChooseQParamsOptions): ChosenQParams {
  const where = 'chooseQParams';
  const { data, dims } = tensor;
  checkDims(dims, 'tensor.dims');
  const n = sizeOf(dims);
  if (data.length !== n) throw new QParamsError({ param: 'tensor.data.length', value: data.length, expected: `${n} (dims [${dims.join(', ')}])` }, where);
  if (n === 0) throw new QParamsError({ param: 'tensor.dims', value: [...dims], expected: 'a tensor with at least one element' }, where);
  const granularity: Granularity = opts.granularity ?? 'per-tensor';
  let axis = 0;
  let blockSize = 0;
  let paramDims: number[] = [];
  let groupOf: (i: number) => number = () => 0;
  if (granularity === 'per-axis' || granularity === 'per-block') {
    if (opts.axis === undefined) throw new QParamsError({ param: 'opts.axis', value: undefined, expected: `an axis for ${granularity}` }, where);
    axis = normalizeAxis(opts.axis, dims.length, 'opts.axis');
    const A = dims[axis];
    const inner = sizeOf(dims.slice(axis + 1));
    if (granularity === 'per-axis') {
      paramDims = [A];
      groupOf = (i) => ((i / inner) | 0) % A;
    } else {
      const bs = opts.blockSize;
      if (bs === undefined || !Number.isInteger(bs) || bs <= 0 || A % bs !== 0) {
        throw new QParamsError({ param: 'opts.blockSize', value: bs, expected: `a positive divisor of dims[${axis}] = ${A}` }, where);
      }
      blockSize = bs;
      const nb = A / bs;
      paramDims = dims.map((d, i) => (i === axis ? nb : d));
      groupOf = (i) => {
        const r = i % inner;
        const t = (i - r) / inner;
        const a = t % A;
        return (((t - a) / A) * nb + Math.floor(a / bs)) * inner + r;
      };
    }
  } else if (granularity !== 'per-tensor') {
    throw new QParamsError({ param: 'opts.granularity', value: granularity, expected: 'per-tensor, per-axis or per-block' }, where);
  }
  const count = sizeOf(paramDims);
  const mins = new Float32Array(count).fill(Infinity);
  const maxs = new Float32Array(count).fill(-Infinity);
  for (let i = 0; i < n; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) throw new QParamsError({ param: `tensor.data[${i}]`, value: v, expected: 'a finite float32' }, where);
    const g = groupOf(i);
    if (v < mins[g]) mins[g] = v;
    if (v > maxs[g]) maxs[g] = v;
  }
  const scale = new Float32Array(count);
  const zeroPoint = allocQuant(opts.dtype, count);
  let qmin = 0;
  let qmax = 0;
  for (let g = 0; g < count; g++) {
    let p;
    try {
      p = qparamsFromRange({ min: mins[g], max: maxs[g] }, opts);
    } catch (e) {
      if (e instanceof QParamsError) throw new QParamsError(e.context, `${where}: ${granularity} group ${g} of ${count}`, e);
      throw e;
    }
    scale[g] = p.scale;
    zeroPoint[g] = isFloatQuantDType(p.dtype) ? 0 : p.zeroPoint;
    qmin = p.qmin;
    qmax = p.qmax;
  }
  return { dtype: opts.dtype, granularity, scale, zeroPoint, paramDims, axis, blockSize, qmin, qmax, mins, maxs };
}
