/**
 * GPTQ (Frantar et al. 2022) for one MatMul weight `W [K, N]` (K inputs, N outputs) with blockwise parameters along K.
 *
 * Given calibration activations `X [n, K]`: `H = 2/n * X^T X`; dead inputs (`H[i,i] = 0`) get `H[i,i] = 1` and zero
 * weights; damping `H += damp * mean(diag H) * I` (damp 0.01). With `U` the upper Cholesky factor of `H^-1`, rows are
 * quantized one at a time (in act-order: by decreasing `H[i,i]`) and each row's error, divided by `U[i,i]`, is pushed
 * onto the not-yet-quantized rows: `W[j,:] -= (W[i,:] - dq(q(W[i,:]))) / U[i,i] * U[i,j]`.
 * Block parameters come from @lowbit/qparams: in natural order computed when a block starts (from the updated
 * weights), in act-order ("static groups") from the original weights up front.
 * All arithmetic in float64; dequantization `(q - zp) * scale` as DequantizeLinear computes it.
 */
import { quantizeRow, quantizeWith, weightQParams, type QParamSet, type QSpec } from './qparams-bridge.js';
import { RewriteError } from './errors.js';

export interface GptqOptions {
  readonly blockSize: number;
  readonly damp?: number;
  readonly actOrder?: boolean;
}

export interface BlockQuantized {
  /** Quantized integers, row-major `[K, N]`. */
  readonly q: Int32Array;
  /** Parameters in the ONNX blocked scale shape `[ceil(K/bs), N]`. */
  readonly params: QParamSet;
}

/** Round-to-nearest blockwise quantization along K (axis 0). */
export function rtnQuantize(w: Float32Array, k: number, n: number, spec: QSpec, blockSize: number): BlockQuantized {
  const params = weightQParams(w, [k, n], spec, 0, blockSize);
  return { q: quantizeWith(w, [k, n], params, spec.dtype, 0, blockSize), params };
}

export function gptqQuantize(w: Float32Array, k: number, n: number, x: Float32Array, samples: number, spec: QSpec, opts: GptqOptions): BlockQuantized {
  if (x.length !== samples * k) throw new RewriteError({ pass: 'weight-only', expected: `${samples}x${k} activations`, actual: `${x.length} values` }, 'GPTQ calibration activations have the wrong size');
  const bs = opts.blockSize;
  const H = new Float64Array(k * k);
  for (let s = 0; s < samples; s++) {
    const row = x.subarray(s * k, (s + 1) * k);
    for (let i = 0; i < k; i++) {
      const xi = row[i];
      if (xi === 0) continue;
      for (let j = 0; j < k; j++) H[i * k + j] += xi * row[j];
    }
  }
  for (let i = 0; i < k * k; i++) H[i] *= 2 / Math.max(samples, 1);
  const W = Float64Array.from(w);
  for (let i = 0; i < k; i++) if (H[i * k + i] === 0) { H[i * k + i] = 1; for (let j = 0; j < n; j++) W[i * n + j] = 0; }
  let mean = 0;
  for (let i = 0; i < k; i++) mean += H[i * k + i];
  mean /= k;
  const damp = (opts.damp ?? 0.01) * mean;
  for (let i = 0; i < k; i++) H[i * k + i] += damp;
  // order
  const perm = Array.from({ length: k }, (_, i) => i);
  if (opts.actOrder) perm.sort((a, b) => H[b * k + b] - H[a * k + a] || a - b);
  const Hp = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) Hp[i * k + j] = H[perm[i] * k + perm[j]];
  const U = upperCholeskyOfInverse(Hp, k);
  const nb = Math.ceil(k / bs);
  const scales = new Float32Array(nb * n);
  const zps = new Int32Array(nb * n);
  const setBlock = (b: number, src: Float64Array, rows: readonly number[]): void => {
    const slice = new Float32Array(rows.length * n);
    rows.forEach((r, t) => { for (let j = 0; j < n; j++) slice[t * n + j] = src[r * n + j]; });
    const p = weightQParams(slice, [rows.length, n], spec, 1);
    scales.set(p.scales, b * n);
    zps.set(p.zeroPoints, b * n);
  };
  const rowsOf = (b: number): number[] => Array.from({ length: Math.min(bs, k - b * bs) }, (_, t) => b * bs + t);
  if (opts.actOrder) for (let b = 0; b < nb; b++) setBlock(b, W, rowsOf(b));
  const q = new Int32Array(k * n);
  for (let t = 0; t < k; t++) {
    const r = perm[t];
    const b = Math.floor(r / bs);
    if (!opts.actOrder && r % bs === 0) setBlock(b, W, rowsOf(b));
    const d = U[t * k + t];
    const qs = quantizeRow(W.subarray(r * n, r * n + n), scales.subarray(b * n, b * n + n), zps.subarray(b * n, b * n + n), spec.dtype);
    for (let j = 0; j < n; j++) {
      const s = scales[b * n + j], z = zps[b * n + j];
      const v = qs[j];
      q[r * n + j] = v;
      const err = (W[r * n + j] - Math.fround((v - z) * s)) / d;
      for (let u = t + 1; u < k; u++) W[perm[u] * n + j] -= err * U[t * k + u];
    }
  }
  return { q, params: { scales, zeroPoints: zps, dims: [nb, n] } };
}

/** Upper-triangular U with `U^T U = A^-1` for a symmetric positive definite `A [k,k]`. */
function upperCholeskyOfInverse(A: Float64Array, k: number): Float64Array {
  // inverse by Gauss-Jordan with partial pivoting
  const M = Float64Array.from(A);
  const inv = new Float64Array(k * k);
  for (let i = 0; i < k; i++) inv[i * k + i] = 1;
  for (let c = 0; c < k; c++) {
    let p = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(M[r * k + c]) > Math.abs(M[p * k + c])) p = r;
    if (M[p * k + c] === 0) throw new RewriteError({ pass: 'weight-only' }, 'GPTQ Hessian is singular even after damping');
    if (p !== c) for (let j = 0; j < k; j++) { [M[c * k + j], M[p * k + j]] = [M[p * k + j], M[c * k + j]]; [inv[c * k + j], inv[p * k + j]] = [inv[p * k + j], inv[c * k + j]]; }
    const piv = M[c * k + c];
    for (let j = 0; j < k; j++) { M[c * k + j] /= piv; inv[c * k + j] /= piv; }
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const f = M[r * k + c];
      if (f === 0) continue;
      for (let j = 0; j < k; j++) { M[r * k + j] -= f * M[c * k + j]; inv[r * k + j] -= f * inv[c * k + j]; }
    }
  }
  // lower Cholesky L of inv (inv = L L^T), then U = L^T
  const L = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let s = (inv[i * k + j] + inv[j * k + i]) / 2;
      for (let t = 0; t < j; t++) s -= L[i * k + t] * L[j * k + t];
      if (i === j) L[i * k + i] = Math.sqrt(Math.max(s, 1e-300));
      else L[i * k + j] = s / L[j * k + j];
    }
  }
  const U = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) U[i * k + j] = L[j * k + i];
  return U;
}
