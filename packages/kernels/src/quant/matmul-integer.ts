/**
 * MatMulInteger (opset 10): `Y[b, i, j] = sum_k (A[b, i, k] - a_zero_point[i]) * (B[b, k, j] - b_zero_point[j])`
 * in int32, with numpy.matmul shapes (1-D operands, broadcast batch dims; see `planMatMul`).
 *
 * A and B are uint8 or int8, each independently (keys `MatMulInteger:u8xu8->i32`, `u8xi8`, `i8xu8`, `i8xi8`).
 * a_zero_point: scalar (per-tensor) or M values (per-row); b_zero_point: scalar or N values (per-column); both
 * default to 0 and must have their tensor's dtype.
 *
 * Numerics: exact integer arithmetic; the accumulator is an int32 register (`(acc + p) | 0`), which
 * wraps modulo 2^32 only past |sum| > 2^31 (K > 33025 for full-range uint8 x uint8). No saturation, no rounding.
 *
 * Example: A = [[2, 3]] (zp 1), B = [[4], [5]] (zp 0) -> (2-1)*4 + (3-1)*5 = 14.
 */
import type { KernelInstance, KernelNode, KernelVariant } from '../contract.js';
import { planMatMul, type MatMulPlan } from '../nn/matmul-shape.js';
import { DTYPE_SHORT } from '../tensor.js';
import { Q8, perTensorOr, q8Input, zeroPointInput } from './qinputs.js';

/**
 * Integer matmul core: acc[t, i, j] = sum_k (a - za[i]) * (b - zb[j]), int32 wrap-around. Walks i, k, j (rows of B in
 * memory order) into an int32 row; the sum modulo 2^32 does not depend on the order of its terms, so the result is the
 * same as the k-ascending dot product.
 */
export function matmulInteger(a: ArrayLike<number>, b: ArrayLike<number>, za: Float64Array, zb: Float64Array, out: Int32Array, p: MatMulPlan): void {
  const { M, K, N } = p;
  const zbv = new Int32Array(N);
  for (let j = 0; j < N; j++) zbv[j] = zb.length === 1 ? zb[0] : zb[j];
  const bz = new Int32Array(K * N);
  let lastB = -1;
  for (let t = 0; t < p.batch; t++) {
    const aBase = p.aIndex[t] * M * K;
    const bBase = p.bIndex[t] * K * N;
    if (bBase !== lastB) {
      for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) bz[k * N + j] = b[bBase + k * N + j] - zbv[j];
      lastB = bBase;
    }
    for (let i = 0; i < M; i++) {
      const zai = za.length === 1 ? za[0] : za[i];
      const o = t * M * N + i * N;
      out.fill(0, o, o + N);
      for (let k = 0; k < K; k++) {
        const av = a[aBase + i * K + k] - zai;
        if (av === 0) continue;
        const r = k * N;
        for (let j = 0; j < N; j++) out[o + j] = (out[o + j] + av * bz[r + j]) | 0;
      }
    }
  }
}

function create(node: KernelNode): KernelInstance {
  return {
    run(inputs, ctx) {
      const a = q8Input(node, inputs, 0);
      const b = q8Input(node, inputs, 1);
      const p = planMatMul(node, a.dims, b.dims);
      const za = perTensorOr(node, zeroPointInput(node, inputs, 2, a.dtype), 2, p.M, 'per-row of A');
      const zb = perTensorOr(node, zeroPointInput(node, inputs, 3, b.dtype), 3, p.N, 'per-column of B');
      const y = ctx.alloc('int32', p.outDims);
      matmulInteger(a.data, b.data, za, zb, y.data, p);
      return [y];
    },
  };
}

export const MATMUL_INTEGER_KERNELS: KernelVariant[] = Q8.flatMap((ta) => Q8.map((tb): KernelVariant => ({
  key: `MatMulInteger:${DTYPE_SHORT[ta]}x${DTYPE_SHORT[tb]}->i32`,
  name: 'scalar',
  isa: 'scalar',
  tolerance: 'exact',
  create,
})));
