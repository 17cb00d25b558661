import { QParamsError } from './qparams-error.js';

/** Quantization granularity, as ONNX QuantizeLinear/DequantizeLinear read it from the scale's shape. */
export type Granularity = 'per-tensor' | 'per-axis' | 'per-block';

/**
 * Where each element's scale and zero point come from.
 * - per-tensor: one scale (`paramDims` `[]`).
 * - per-axis: `paramDims = [dims[axis]]`; element i uses the parameter of its index along `axis`.
 * - per-block: `paramDims` equals `dims` except `paramDims[axis] = ceil(dims[axis] / blockSize)`; element i uses
 *   the parameter of block floor(index_along_axis / blockSize). ONNX (opset 21+) allows a last, shorter block when
 *   `blockSize` does not divide the axis; `quantize`/`dequantize` follow that (`chooseQParams` refuses it).
 */
export interface ParamLayout {
  readonly granularity: Granularity;
  /** Non-negative axis (0 for per-tensor). */
  readonly axis: number;
  /** 0 unless per-block. */
  readonly blockSize: number;
  readonly paramDims: readonly number[];
  /** Number of parameters (product of `paramDims`). */
  readonly count: number;
}

export function sizeOf(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Checks dims are non-negative integers. */
export function checkDims(dims: readonly number[], param: string): void {
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0) throw new QParamsError({ param, value: [...dims], expected: 'non-negative integer dims' });
  }
}

/** Normalizes an ONNX axis in [-rank, rank-1] to [0, rank-1]. */
export function normalizeAxis(axis: number, rank: number, param = 'axis'): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new QParamsError({ param, value: axis, expected: `an integer in [${-rank}, ${rank - 1}] for a rank-${rank} tensor` });
  }
  return axis < 0 ? axis + rank : axis;
}

/**
 * Resolves the layout of `paramCount` parameters (with optional shape `paramDims`) for a tensor of shape `dims`,
 * following ONNX: block size > 0 means blocked; otherwise one parameter (scalar or shape [1]) means per-tensor,
 * and a 1-D parameter of length dims[axis] means per-axis. Anything else is a QParamsError.
 */
export function resolveLayout(
  dims: readonly number[],
  paramCount: number,
  paramDims: readonly number[] | undefined,
  axis = 1,
  blockSize = 0,
  where?: string,
): ParamLayout {
  try {
    return resolve(dims, paramCount, paramDims, axis, blockSize);
  } catch (e) {
    if (where && e instanceof QParamsError) throw new QParamsError(e.context, where);
    throw e;
  }
}

function resolve(dims: readonly number[], paramCount: number, paramDims: readonly number[] | undefined, axis: number, blockSize: number): ParamLayout {
  checkDims(dims, 'dims');
  const rank = dims.length;
  if (!Number.isInteger(blockSize) || blockSize < 0) {
    throw new QParamsError({ param: 'blockSize', value: blockSize, expected: 'a non-negative integer (0 = not blocked)' });
  }
  if (blockSize > 0) {
    const ax = normalizeAxis(axis, rank);
    const want = dims.map((d, i) => (i === ax ? Math.ceil(d / blockSize) : d));
    const got = paramDims ?? (paramCount === sizeOf(want) ? want : undefined);
    if (!got || got.length !== rank || got.some((g, i) => g !== want[i])) {
      throw new QParamsError({ param: 'scale dims', value: got ? [...got] : paramCount, expected: `[${want.join(', ')}] (input dims [${dims.join(', ')}], axis ${ax}, block size ${blockSize})` });
    }
    return { granularity: 'per-block', axis: ax, blockSize, paramDims: want, count: sizeOf(want) };
  }
  if (paramCount === 1 && (!paramDims || paramDims.length <= 1)) {
    return { granularity: 'per-tensor', axis: 0, blockSize: 0, paramDims: [], count: 1 };
  }
  const ax = normalizeAxis(axis, rank);
  if (paramDims && paramDims.length !== 1) {
    throw new QParamsError({ param: 'scale dims', value: [...paramDims], expected: `a scalar or 1-D [${dims[ax]}] (per-axis on axis ${ax}); pass blockSize for blocked parameters` });
  }
  if (paramCount !== dims[ax]) {
    throw new QParamsError({ param: 'scale length', value: paramCount, expected: `1 or ${dims[ax]} (dims[${ax}] of [${dims.join(', ')}])` });
  }
  return { granularity: 'per-axis', axis: ax, blockSize: 0, paramDims: [dims[ax]], count: dims[ax] };
}

/**
 * For each element of a tensor of shape `dims` (row-major), the index of its parameter under `layout`.
 * Returned as an Int32Array so kernels can reuse it.
 */
export function paramIndexMap(dims: readonly number[], layout: ParamLayout): Int32Array {
  const n = sizeOf(dims);
  const out = new Int32Array(n);
  if (layout.granularity === 'per-tensor') return out;
  const ax = layout.axis;
  const A = dims[ax];
  const inner = sizeOf(dims.slice(ax + 1));
  if (layout.granularity === 'per-axis') {
    for (let i = 0; i < n; i++) out[i] = ((i / inner) | 0) % A;
    return out;
  }
  const nb = layout.paramDims[ax];
  const bs = layout.blockSize;
  for (let i = 0; i < n; i++) {
    const r = i % inner;
    const t = (i - r) / inner;
    const a = t % A;
    const o = (t - a) / A;
    out[i] = (o * nb + Math.floor(a / bs)) * inner + r;
  }
  return out;
}
