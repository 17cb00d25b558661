import type { KernelNode, KernelVariant, RunContext } from '../../contract.js';
import type { Tensor } from '../../tensor.js';
import { unaryMap } from './elementwise.js';
import { expectInputType, need, numericType } from './fail.js';
import { isBig } from './values.js';

export type RunFn = (inputs: readonly (Tensor | null)[], ctx: RunContext) => (Tensor | null)[];

/**
 * A dtype-generic scalar reference variant registered under the wildcard key `OpType:*` (optimized variants
 * register exact keys such as `Add:f32` and win in `KernelRegistry.resolve`). `create` parses attributes once.
 * Ops of another domain are keyed `domain.OpType:*` (e.g. `ai.onnx.ml.Binarizer:*`), as `keyFor` does.
 */
export function scalarKernel(opType: string, create: (node: KernelNode) => RunFn, domain = ''): KernelVariant {
  return {
    key: domain === '' ? `${opType}:*` : `${domain}.${opType}:*`,
    name: 'scalar',
    isa: 'scalar',
    tolerance: 'exact',
    create(node) {
      const run = create(node);
      return { run };
    },
  };
}

/** A `scalarKernel` for an element-wise unary op: `f` on doubles, `big` (optional) for exact int64. */
export function unaryKernel(opType: string, f: (x: number) => number, big?: (x: bigint) => bigint): KernelVariant {
  return scalarKernel(opType, (node: KernelNode): RunFn => {
    expectInputType(node, 0, numericType, 'a numeric type');
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      if (big && isBig(x.dtype)) {
        const out = ctx.alloc(x.dtype, x.dims);
        const X = x.data as BigInt64Array;
        const O = out.data as BigInt64Array;
        for (let i = 0; i < X.length; i++) O[i] = big(X[i]);
        return [out];
      }
      return [unaryMap(x, ctx, f)];
    };
  });
}

