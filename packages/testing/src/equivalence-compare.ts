/**
 * Output comparison of the equivalence harness, one element at a time, under a variant's declared `Tolerance` (see
 * `Tolerance` in @lowbit/kernels for the kinds). In every kind NaN must meet NaN (any payload) and dtype and dims must
 * be equal; non-float dtypes always compare exactly.
 *
 * `productSumAbs` gives the per-element bound scale S = sum_k |a_k * b_k| that the `{ sumAbs }` kind needs, for
 * MatMul and Gemm nodes.
 */
import { Tensor, broadcastShapes, planMatMul, type DType, type KernelNode, type Tolerance } from '@lowbit/kernels';

/** float32 machine epsilon (2^-23): the `eps` of the `{ sumAbs }` tolerance. */
export const EPS_F32 = 2 ** -23;

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);
const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);

/** Position of a float on the ordered integer line (so adjacent floats differ by 1). */
function ordered(dtype: DType, x: number): number {
  if (dtype === 'float16' || dtype === 'bfloat16') return x & 0x8000 ? -(x & 0x7fff) : x;
  if (dtype === 'float64') {
    f64[0] = x;
    const b = i64[0];
    return Number(b < 0n ? -(b & 0x7fffffffffffffffn) : b);
  }
  f32[0] = x;
  const b = i32[0];
  return b < 0 ? -(b & 0x7fffffff) : b;
}

function isNaNOf(dtype: DType, x: number): boolean {
  if (dtype === 'float16') return (x & 0x7c00) === 0x7c00 && (x & 0x3ff) !== 0;
  if (dtype === 'bfloat16') return (x & 0x7f80) === 0x7f80 && (x & 0x7f) !== 0;
  return Number.isNaN(x);
}

const FLOATS: ReadonlySet<DType> = new Set<DType>(['float32', 'float64', 'float16', 'bfloat16']);

/**
 * Undefined when `actual` matches `expected` under `tol`, else a short description of the first difference.
 * `sumAbs` (one S per output element) is required by the `{ sumAbs }` kind: `|actual - expected| <= factor * EPS_F32 * S`,
 * and an infinite expected or actual value must match exactly.
 */
export function compareOutput(expected: Tensor, actual: Tensor, tol: Tolerance, sumAbs?: ArrayLike<number>): string | undefined {
  if (actual.dtype !== expected.dtype) return `dtype ${actual.dtype}, expected ${expected.dtype}`;
  if (actual.dims.join(',') !== expected.dims.join(',')) return `dims [${actual.dims.join(', ')}], expected [${expected.dims.join(', ')}]`;
  const e = expected.data as ArrayLike<number | bigint | string>;
  const a = actual.data as ArrayLike<number | bigint | string>;
  const float = FLOATS.has(expected.dtype);
  if (float && typeof tol === 'object' && 'sumAbs' in tol) {
    if (expected.dtype === 'float16' || expected.dtype === 'bfloat16') return `the sumAbs tolerance compares float32/float64 outputs, not ${expected.dtype}`;
    if (!sumAbs || sumAbs.length !== e.length) return `the sumAbs tolerance needs one sum |a*b| per output element (${e.length}), got ${sumAbs ? sumAbs.length : 'none'}`;
  }
  for (let i = 0; i < e.length; i++) {
    const x = a[i];
    const y = e[i];
    if (!float || typeof x !== 'number' || typeof y !== 'number') {
      if (x !== y) return `element ${i}: ${String(x)}, expected ${String(y)}`;
      continue;
    }
    const xn = isNaNOf(expected.dtype, x);
    const yn = isNaNOf(expected.dtype, y);
    if (xn || yn) {
      if (xn !== yn) return `element ${i}: ${show(expected.dtype, x)}, expected ${show(expected.dtype, y)}`;
      continue;
    }
    let ok: boolean;
    let bound = '';
    if (tol === 'exact') ok = Object.is(x, y);
    else if ('ulp' in tol) ok = Math.abs(ordered(expected.dtype, x) - ordered(expected.dtype, y)) <= tol.ulp;
    else if ('sumAbs' in tol) {
      const b = tol.sumAbs * EPS_F32 * sumAbs![i];
      ok = x === y || (Number.isFinite(x) && Number.isFinite(y) && Math.abs(x - y) <= b);
      bound = ` (|diff| ${Math.abs(x - y)} > ${tol.sumAbs} * eps * ${sumAbs![i]} = ${b})`;
    } else ok = x === y || Math.abs(x - y) <= tol.atol + tol.rtol * Math.abs(y);
    if (!ok) return `element ${i}: ${show(expected.dtype, x)}, expected ${show(expected.dtype, y)}${bound}`;
  }
  return undefined;
}

function show(dtype: DType, x: number): string {
  if (dtype === 'float16' || dtype === 'bfloat16') return `0x${x.toString(16).padStart(4, '0')}`;
  return Object.is(x, -0) ? '-0' : String(x);
}

const num = (t: Tensor, i: number): number => Number((t.data as ArrayLike<number>)[i]);

/**
 * S = sum_k |a_k * b_k| for every element of the (single) output of a MatMul or Gemm node, in double:
 * - MatMul (numpy.matmul semantics, batch broadcasting): S[b, i, j] = sum_k |A[b, i, k] * B[b, k, j]|;
 * - Gemm: S[i, j] = |alpha| * sum_k |op(A)[i, k] * op(B)[k, j]| + |beta * C[i, j]| (C broadcast, absent = 0).
 * Undefined for other ops. Example: MatMul A = [[1, -2]], B = [[3], [4]] -> S = [[|3| + |-8|]] = [[11]].
 */
export function productSumAbs(node: KernelNode, inputs: readonly (Tensor | null)[]): Float64Array | undefined {
  const [a, b, c] = inputs;
  if (!a || !b) return undefined;
  if (node.opType === 'MatMul') {
    const p = planMatMul(node, a.dims, b.dims);
    const { M, K, N } = p;
    const out = new Float64Array(p.batch * M * N);
    for (let t = 0; t < p.batch; t++) {
      const ab = p.aIndex[t] * M * K;
      const bb = p.bIndex[t] * K * N;
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < N; j++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += Math.abs(num(a, ab + i * K + k) * num(b, bb + k * N + j));
          out[t * M * N + i * N + j] = s;
        }
      }
    }
    return out;
  }
  if (node.opType === 'Gemm') {
    const attr = (name: string, d: number) => Number(node.attrs.get(name) ?? d);
    const transA = attr('transA', 0) !== 0;
    const transB = attr('transB', 0) !== 0;
    const alpha = Math.abs(attr('alpha', 1));
    const beta = attr('beta', 1);
    const [M, K] = transA ? [a.dims[1], a.dims[0]] : [a.dims[0], a.dims[1]];
    const N = transB ? b.dims[0] : b.dims[1];
    const out = new Float64Array(M * N);
    const cDims = c ? broadcastShapes(node, [[M, N], c.dims]) && c.dims : [];
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += Math.abs(num(a, transA ? k * M + i : i * K + k) * num(b, transB ? j * K + k : k * N + j));
        let cv = 0;
        if (c) {
          const ci = cDims.length === 0 ? 0 : cDims.length === 1 ? (cDims[0] === 1 ? 0 : j) : (cDims[0] === 1 ? 0 : i) * cDims[1] + (cDims[1] === 1 ? 0 : j);
          cv = Math.abs(beta * num(c, ci));
        }
        out[i * N + j] = alpha * s + cv;
      }
    }
    return out;
  }
  return undefined;
}
