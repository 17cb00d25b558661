/**
 * Native MaxPool for float32, uint8 and int8 (csrc/pool.cc): 1-D, 2-D and 3-D windows with strides, dilations, pads,
 * auto_pad and ceil_mode resolved by @lowbit/kernels' `forwardWindow` (the reference's own geometry), then the maximum
 * over each window's in-bounds taps, separably (row maxima, then column maxima; vector maxima on x86-64): exact for
 * the 8-bit types (max is order-free without NaN), and for float32 every NaN or zero maximum is recomputed in the
 * reference's tap order and NaN rule (which NaN, which signed zero). A node that asks for the Indices output runs on
 * the reference.
 */
import { DTYPE_SHORT, forwardWindow, parseWindowAttrs, sameDims, type DType, type KernelVariant, type Tensor } from '@lowbit/kernels';
import { lazyReference, type NativeContext, type NativeInstance } from './context.js';

const TYPES: readonly DType[] = ['float32', 'uint8', 'int8'];

/**
 * One variant per dtype, plus the same again as `native-avx2` where the CPU has AVX2 (the addon runs its AVX2 build
 * there either way; the label ranks it above the WebAssembly kernels).
 */
export function poolVariants(ctx: NativeContext, avx2: boolean): KernelVariant[] {
  const isas: ('scalar-c' | 'avx2')[] = avx2 ? ['scalar-c', 'avx2'] : ['scalar-c'];
  return isas.flatMap((isa) => TYPES.map((dtype): KernelVariant => {
    const key = `MaxPool:${DTYPE_SHORT[dtype]}`;
    return {
      key, name: `native-${isa}`, isa, tolerance: 'exact',
      supports: (node) => node.outputCount <= 1,
      create(node): NativeInstance {
        const ref = lazyReference(ctx, key, node);
        const attrs = parseWindowAttrs(node);
        const geometry = new Int32Array(18);
        // The geometry of the last input dims seen (a session's shapes rarely change between runs).
        let lastDims: readonly number[] | undefined;
        let lastOut: number[] = [];
        return {
          get referenceRuns() {
            return ref.calls;
          },
          run(inputs, rctx) {
            const x = inputs[0] as Tensor | null | undefined;
            if (!x || x.dtype !== dtype || !attrs.kernelShape || x.dims.length < 3 || x.dims.length > 5 || node.outputCount > 1) return ref().run(inputs, rctx);
            if (!lastDims || !sameDims(lastDims, x.dims)) {
              let win;
              try {
                win = forwardWindow(node, attrs, x.dims.slice(2), attrs.kernelShape, { pool: true });
              } catch {
                lastDims = undefined;
                return ref().run(inputs, rctx); // the reference reports the geometry error
              }
              lastOut = [x.dims[0], x.dims[1], ...win.outShape.slice(3 - win.rank)];
              geometry.set([...win.inShape, ...win.outShape, ...win.kernel, ...win.strides, ...win.dilations, ...win.padBegin]);
              lastDims = x.dims.slice();
            }
            const y = rctx.alloc(dtype, lastOut);
            if (y.data.length === 0) return [y];
            ctx.addon.maxPool(x.data as Float32Array, x.dims[0] * x.dims[1], geometry, y.data as Float32Array);
            return [y];
          },
        };
      },
    };
  }));
}
