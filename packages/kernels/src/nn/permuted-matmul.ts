/**
 * lowbit.PermutedMatMul (Lowbit-internal, domain `lowbit`, version 1): MatMul of transposed operands,
 *
 *   Y = MatMul(Transpose(A, perm_a), Transpose(B, perm_b))
 *
 * which the runtime's optimiser folds from Transpose nodes whose only reader is a MatMul (attention's Q K^T and P V
 * with the heads split off by Transpose). Attributes `perm_a`, `perm_b` (ints, each a permutation of its operand's
 * axes; absent: that operand as it is). Inputs float32 / float64 / float16 as MatMul; output as MatMul of the
 * transposed operands.
 *
 * Numerics: exactly MatMul's (a transpose only moves values), so bit-identical to the unfused nodes run by the
 * reference kernels. Example: A [2, 3] with perm_a [1, 0] and B [2, 1] -> Y = A^T B, [3, 1].
 */
import type { KernelNode, KernelVariant } from '../contract.js';
import { freshRunContext } from '../run-context.js';
import type { Tensor } from '../tensor.js';
import { transposeTensor } from '../ops/transpose.js';
import { attrInts } from '../ops/util/attrs.js';
import { kernelError } from '../ops/util/fail.js';
import { input } from './checks.js';
import { floatVariants } from './float-variants.js';
import { matmulFloat } from './matmul.js';
import { planMatMul } from './matmul-shape.js';

const F = ['float32', 'float64'] as const;
const id = (v: number): number => v;

/** perm_a / perm_b of a node (undefined: absent). */
export function matmulPerms(node: KernelNode): { readonly a: readonly number[] | undefined; readonly b: readonly number[] | undefined } {
  return { a: attrInts(node, 'perm_a'), b: attrInts(node, 'perm_b') };
}

/** `t` transposed by `perm` (a fresh tensor), or `t` itself without a perm; a bad perm is a typed error. */
function permuted<T extends Tensor>(node: KernelNode, t: T, perm: readonly number[] | undefined, attr: string): T {
  if (!perm) return t;
  const rank = t.dims.length;
  const ok = perm.length === rank && [...perm].sort((x, y) => x - y).every((p, i) => p === i);
  if (!ok) throw kernelError(node, `attribute "${attr}"`, { expected: `a permutation of 0..${rank - 1}`, actual: `[${perm}]` });
  return transposeTensor(t, perm, freshRunContext) as T;
}

export const PERMUTED_MATMUL_KERNELS: KernelVariant[] = floatVariants({
  op: 'lowbit.PermutedMatMul',
  create(node) {
    const perms = matmulPerms(node);
    return {
      run(inputs, ctx) {
        const a = permuted(node, input(node, inputs, 0, F), perms.a, 'perm_a');
        const b = permuted(node, input(node, inputs, 1, [a.dtype]), perms.b, 'perm_b');
        const p = planMatMul(node, a.dims, b.dims);
        const y = ctx.alloc(a.dtype, p.outDims);
        matmulFloat(a.data, b.data, y.data, p, a.dtype === 'float32' ? Math.fround : id);
        return [y];
      },
    };
  },
});
