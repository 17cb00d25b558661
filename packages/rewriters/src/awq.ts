/**
 * AWQ (Lin et al., "Activation-aware Weight Quantization", 2024) for weight-only blockwise quantization of a MatMul
 * `X [.., K] x W [K, N]`: input channels that carry large activations matter more, so their weight rows are scaled up
 * before round-to-nearest (finer relative steps) and the activation is scaled down by the same factor.
 *
 * With `m[j] = mean |X[:, j]|` over the calibration rows, for each `alpha` in `0, 1/grid, ..., 1`:
 * `s[j] = m[j]^alpha`, normalised so `max(s) min(s) = 1`; `Ŵ = diag(1/s) · dequant(RTN(diag(s) W))`; the error is
 * `Σ_rows ||x (W - Ŵ)||² = Σ_c D[:, c]ᵀ H D[:, c]` with `D = W - Ŵ`, `H = Xᵀ X`. The alpha of least error wins (ties:
 * the smaller alpha); `alpha = 0` is plain RTN (`s = 1`), so AWQ's error on the calibration rows is never above RTN's.
 * The model then computes `(X · diag(1/s)) Ŵq` where `Ŵq` are the integers of `RTN(diag(s) W)`.
 */
import { rtnQuantize, type BlockQuantized } from './gptq.js';
import type { QSpec } from './qparams-bridge.js';

export interface AwqResult {
  readonly quantized: BlockQuantized;
  /** Per input channel `s[j]` (float32); the activation must be multiplied by `1 / s`. All ones when alpha = 0 won. */
  readonly scales: Float32Array;
  readonly alpha: number;
  /** Calibration error of the winner and of plain RTN (`Σ ||x (W - Ŵ)||²`). */
  readonly error: number;
  readonly rtnError: number;
}

export function awqQuantize(w: Float32Array, k: number, n: number, x: Float32Array, samples: number, spec: QSpec, blockSize: number, grid = 20): AwqResult {
  const H = new Float64Array(k * k);
  const mean = new Float64Array(k);
  for (let s = 0; s < samples; s++) {
    const row = x.subarray(s * k, (s + 1) * k);
    for (let i = 0; i < k; i++) {
      const xi = row[i];
      mean[i] += Math.abs(xi) / samples;
      if (xi === 0) continue;
      for (let j = 0; j < k; j++) H[i * k + j] += xi * row[j];
    }
  }
  let best: AwqResult | undefined;
  let rtnError = Infinity;
  for (let g = 0; g <= grid; g++) {
    const alpha = g / grid;
    const s = new Float32Array(k);
    let lo = Infinity, hi = 0;
    for (let j = 0; j < k; j++) {
      s[j] = Math.max(mean[j], 1e-8) ** alpha;
      lo = Math.min(lo, s[j]);
      hi = Math.max(hi, s[j]);
    }
    const norm = Math.sqrt(lo * hi);
    for (let j = 0; j < k; j++) s[j] = alpha === 0 ? 1 : Math.fround(s[j] / norm);
    const ws = new Float32Array(k * n);
    for (let j = 0; j < k; j++) for (let c = 0; c < n; c++) ws[j * n + c] = Math.fround(w[j * n + c] * s[j]);
    const q = rtnQuantize(ws, k, n, spec, blockSize);
    const D = new Float64Array(k * n);
    for (let j = 0; j < k; j++) {
      for (let c = 0; c < n; c++) {
        const p = Math.floor(j / blockSize) * n + c;
        const deq = (q.q[j * n + c] - q.params.zeroPoints[p]) * q.params.scales[p];
        D[j * n + c] = w[j * n + c] - deq / s[j];
      }
    }
    let err = 0;
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        const h = H[i * k + j];
        if (h === 0) continue;
        for (let c = 0; c < n; c++) err += D[i * n + c] * h * D[j * n + c];
      }
    }
    if (g === 0) rtnError = err;
    if (!best || err < best.error) best = { quantized: q, scales: s, alpha, error: err, rtnError };
  }
  return { ...best!, rtnError };
}
