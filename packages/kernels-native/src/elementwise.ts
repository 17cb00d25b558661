/**
 * Native float element-wise variants for ops whose JS reference is slow: `Erf:f32` (BERT's GELU), computed as
 * `float(x * Q_j(t))` with erf(x)/x approximated in double by a degree-9 polynomial per interval of 1/4 on [0, 4)
 * (csrc/erf_table.inc: relative error below 1e-14; branch-free, AVX2 build where the CPU has it) and +-1 beyond. The
 * reference sums a series in double; both are far inside a float32 ulp of the true value, so after rounding to
 * float32 they differ by at most 1 ulp, and only when the exact value lies next to a rounding boundary: declared
 * tolerance `{ ulp: 1 }`. NaN -> NaN, erf(+-inf) = +-1, erf(-0) = +0 (as the reference).
 */
import type { KernelVariant, Tensor } from '@lowbit/kernels';
import { lazyReference, type NativeContext, type NativeInstance } from './context.js';

export function elementwiseVariants(ctx: NativeContext): KernelVariant[] {
  return [{
    key: 'Erf:f32',
    name: 'native-scalar-c',
    isa: 'scalar-c',
    tolerance: { ulp: 1 },
    create(node): NativeInstance {
      const ref = lazyReference(ctx, 'Erf:f32', node);
      return {
        get referenceRuns() {
          return ref.calls;
        },
        run(inputs, rctx) {
          const x = inputs[0] as Tensor | null | undefined;
          if (!x || x.dtype !== 'float32') return ref().run(inputs, rctx);
          const y = rctx.alloc('float32', x.dims);
          ctx.addon.erf(x.data as Float32Array, y.data);
          return [y];
        },
      };
    },
  }];
}
