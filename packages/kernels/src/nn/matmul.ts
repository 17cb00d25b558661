/**
 * MatMul (opset 1, 9, 13): float matrix product with numpy.matmul semantics (1-D operands, batch broadcasting).
 *
 * `Y[b, i, j] = sum_{k < K} A[b, i, k] * B[b, k, j]`, summed in order k = 0..K-1.
 *
 * Numerics: float32 accumulates in float32 (`acc = fround(acc + fround(a*b))`: each product and each partial sum
 * rounded to float32, no FMA), float64 in double, float16 via float32. K = 0 gives zeros. NaN/Inf propagate.
 *
 * Example: A = [[1, 2]], B = [[3], [4]] -> Y = [[11]].
 */
import type { KernelVariant } from '../contract.js';
import { input } from './checks.js';
import { floatVariants, type FloatArray } from './float-variants.js';
import { planMatMul, type MatMulPlan } from './matmul-shape.js';

const F = ['float32', 'float64'] as const;
const id = (v: number): number => v;

/**
 * out[b, i, j] = sum_k a[b, i, k] * b[b, k, j] with rounding `fr` after every product and sum. Walks i, k, j (rows of B
 * in memory order) into a row of partial sums; each output still takes its terms in k order from 0, so the result is
 * the same as the k-inner dot product, bit for bit.
 */
export function matmulFloat(a: FloatArray, b: FloatArray, out: FloatArray, p: MatMulPlan, fr: (v: number) => number): void {
  const { M, K, N } = p;
  const row = new Float64Array(N);
  for (let t = 0; t < p.batch; t++) {
    const aBase = p.aIndex[t] * M * K;
    const bBase = p.bIndex[t] * K * N;
    const oBase = t * M * N;
    for (let i = 0; i < M; i++) {
      row.fill(0);
      for (let k = 0; k < K; k++) {
        const av = a[aBase + i * K + k];
        const r = bBase + k * N;
        for (let j = 0; j < N; j++) row[j] = fr(row[j] + fr(av * b[r + j]));
      }
      for (let j = 0; j < N; j++) out[oBase + i * N + j] = row[j];
    }
  }
}

export const MATMUL_KERNELS: KernelVariant[] = floatVariants({
  op: 'MatMul',
  create(node) {
    return {
      run(inputs, ctx) {
        const a = input(node, inputs, 0, F);
        const b = input(node, inputs, 1, [a.dtype]);
        const p = planMatMul(node, a.dims, b.dims);
        const y = ctx.alloc(a.dtype, p.outDims);
        matmulFloat(a.data, b.data, y.data, p, a.dtype === 'float32' ? Math.fround : id);
        return [y];
      },
    };
  },
});
