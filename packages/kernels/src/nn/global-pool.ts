/**
 * GlobalAveragePool and GlobalMaxPool (opset 1, 22): reduce every spatial dim of `[N, C, ...]` to 1.
 *
 * - GlobalAveragePool: `y[n, c] = fround(sum / count)`, the sum accumulated in float32 in row-major order
 *   (double for float64). An empty spatial extent gives NaN (0/0).
 * - GlobalMaxPool: the max; NaN propagates; an empty extent gives -Infinity.
 * float16 via float32.
 *
 * Example: X = [[[1, 2], [3, 4]]] (1x1x2x2) -> average [[[[2.5]]]], max [[[[4]]]].
 */
import type { KernelNode, KernelVariant } from '../contract.js';
import type { KernelInstance } from '../contract.js';
import { expectRank, input } from './checks.js';
import { floatVariants } from './float-variants.js';

function createGlobal(node: KernelNode, max: boolean): KernelInstance {
  return {
    run(inputs, ctx) {
      const x = input(node, inputs, 0, ['float32', 'float64'] as const);
      expectRank(node, x, 0, 3, 10);
      const [N, C] = x.dims;
      const plane = x.dims.slice(2).reduce((p, d) => p * d, 1);
      const y = ctx.alloc(x.dtype, [N, C, ...x.dims.slice(2).map(() => 1)]);
      const fr = x.dtype === 'float32' ? Math.fround : (v: number) => v;
      for (let i = 0; i < N * C; i++) {
        let acc = max ? -Infinity : 0;
        for (let j = 0; j < plane; j++) {
          const v = x.data[i * plane + j];
          if (max) {
            if (v > acc || (v !== v && acc === acc)) acc = v;
          } else acc = fr(acc + v);
        }
        y.data[i] = max ? acc : fr(acc / plane);
      }
      return [y];
    },
  };
}

export const GLOBAL_POOL_KERNELS: KernelVariant[] = [
  ...floatVariants({ op: 'GlobalAveragePool', create: (node) => createGlobal(node, false) }),
  ...floatVariants({ op: 'GlobalMaxPool', create: (node) => createGlobal(node, true) }),
];
