/**
 * Gemm (opset 1, 6, 7, 9, 11, 13): `Y = alpha * op(A) @ op(B) + beta * C`, op = transpose when transA/transB is 1.
 *
 * A is `[M, K]` (`[K, M]` with transA), B is `[K, N]` (`[N, K]` with transB); C (optional from opset 11) broadcasts
 * unidirectionally to `[M, N]` (scalar, `[N]`, `[1, N]`, `[M, 1]`, `[M, N]`).
 *
 * Numerics: the dot product accumulates in float32 (`fround` after each product and sum, k ascending), then
 * `y = fround(fround(alpha * acc) + fround(beta * c))`; float64 does the same in double; float16 via float32.
 * beta * C is added even when beta is 0 (so NaN in C propagates, as the spec's formula says).
 *
 * Example: A = [[1, 2]], B = [[3], [4]], C = [1], alpha 0.5, beta 2 -> Y = [[0.5*11 + 2]] = [[7.5]].
 */
import type { KernelVariant } from '../contract.js';
import { attrFloat, attrInt } from '../ops/util/attrs.js';
import { broadcastIndex } from '../ops/util/broadcast.js';
import { expectRank, fail, input, optionalInput } from './checks.js';
import { floatVariants } from './float-variants.js';

const F = ['float32', 'float64'] as const;
const id = (v: number): number => v;

export const GEMM_KERNELS: KernelVariant[] = floatVariants({
  op: 'Gemm',
  create(node) {
    const alpha = attrFloat(node, 'alpha', 1);
    const beta = attrFloat(node, 'beta', 1);
    const transA = attrInt(node, 'transA', 0) !== 0;
    const transB = attrInt(node, 'transB', 0) !== 0;
    return {
      run(inputs, ctx) {
        const a = input(node, inputs, 0, F);
        const b = input(node, inputs, 1, [a.dtype]);
        const c = optionalInput(node, inputs, 2, [a.dtype]);
        expectRank(node, a, 0, 2);
        expectRank(node, b, 1, 2);
        const [M, K] = transA ? [a.dims[1], a.dims[0]] : [a.dims[0], a.dims[1]];
        const [Kb, N] = transB ? [b.dims[1], b.dims[0]] : [b.dims[0], b.dims[1]];
        if (Kb !== K) fail(node, 'inner dimension', { inputIndex: 1, expected: `K = ${K}`, actual: `[${b.dims.join(', ')}]${transB ? ' (transB)' : ''}` });
        let cIdx: Int32Array | null = null;
        if (c) {
          if (c.dims.length > 2) fail(node, 'rank', { inputIndex: 2, expected: 'rank <= 2', actual: `[${c.dims.join(', ')}]` });
          const cd = c.dims;
          const ok = cd.every((d, i) => d === 1 || d === [M, N][2 - cd.length + i]);
          if (!ok) fail(node, 'shape', { inputIndex: 2, expected: `broadcastable to [${M}, ${N}]`, actual: `[${cd.join(', ')}]` });
          cIdx = broadcastIndex([M, N], cd);
        }
        const fr = a.dtype === 'float32' ? Math.fround : id;
        const y = ctx.alloc(a.dtype, [M, N]);
        const A = a.data;
        const B = b.data;
        const [ai, ak] = transA ? [1, M] : [K, 1];
        const [bk, bj] = transB ? [1, K] : [N, 1];
        for (let i = 0; i < M; i++) {
          for (let j = 0; j < N; j++) {
            let acc = 0;
            for (let k = 0; k < K; k++) acc = fr(acc + fr(A[i * ai + k * ak] * B[k * bk + j * bj]));
            let v = fr(alpha * acc);
            if (c) v = fr(v + fr(beta * c.data[cIdx ? cIdx[i * N + j] : i * N + j]));
            y.data[i * N + j] = v;
          }
        }
        return [y];
      },
    };
  },
});
