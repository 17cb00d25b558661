/**
 * MaxPool:f32 and AveragePool:f32 on the wasm kernels (assembly/pool.ts), bit-exact with the reference: MaxPool keeps
 * the reference's first-tap-wins order (signed zeros, NaN propagation), AveragePool sums in float32 in row-major
 * window order and divides once by the reference's count (in-bounds taps, or the taps inside the padded extent with
 * count_include_pad).
 *
 * Covered: 1-D and 2-D pools (3-D and 4-D inputs) with any kernel_shape, strides, dilations, pads, auto_pad and
 * ceil_mode. MaxPool's Indices output, 3-D pools, other dtypes and bad inputs run on the reference kernel (which
 * reports the errors).
 */
import { forwardWindow, parseWindowAttrs, type KernelInstance, type KernelNode, type KernelVariant, type WindowAttrs } from '@lowbit/kernels';
import type { WasmRuntime } from '../runtime.js';
import { copyOut, lazyReference, withScratch } from '../runtime.js';

function pool(rt: WasmRuntime, node: KernelNode, isMax: boolean): KernelInstance {
  const reference = lazyReference(rt, node);
  let attrs: WindowAttrs | undefined;
  try {
    attrs = parseWindowAttrs(node);
  } catch {
    attrs = undefined; // the reference reports bad attributes
  }
  const ks = attrs?.kernelShape;
  const includePad = Number(node.attrs.get('count_include_pad') ?? 0) !== 0;
  return {
    run(inputs, ctx) {
      const x = inputs[0];
      if (!attrs || !ks || node.outputCount > 1 || !x || x.dtype !== 'float32' || (x.dims.length !== 3 && x.dims.length !== 4) || ks.length !== x.dims.length - 2) return reference(inputs, ctx);
      let win;
      try {
        win = forwardWindow(node, attrs, x.dims.slice(2), ks, { pool: true });
      } catch {
        return reference(inputs, ctx);
      }
      const [, H, W] = win.inShape;
      const [, KH, KW] = win.kernel;
      const [, sh, sw] = win.strides;
      const [, dh, dw] = win.dilations;
      const [, pt, pl] = win.padBegin;
      const [, pb, pr] = win.padEnd;
      const [, OH, OW] = win.outShape;
      const planes = x.dims[0] * x.dims[1];
      const y = ctx.alloc('float32', [x.dims[0], x.dims[1], ...(x.dims.length === 4 ? [OH, OW] : [OW])]);
      if (y.data.length === 0) return [y];
      if (H === 0 || W === 0) return reference(inputs, ctx);
      const OW4 = (OW + 3) & ~3;
      const Hp = Math.max(pt + H, (OH - 1) * sh + (KH - 1) * dh + 1);
      const Wp = Math.max(pl + W, OW4 * sw + (KW - 1) * dw + 8);
      withScratch(rt, (alloc, place, out) => {
        const xp = place(x.data as Float32Array);
        const pad = alloc(Hp * Wp * 4);
        let cnt = 0;
        if (!isMax) {
          cnt = alloc((OH + OW4) * 4);
          const c = rt.heap.f32();
          const count = (o: number, s: number, k: number, d: number, p: number, n: number, e: number): number => {
            let m = 0;
            for (let t = 0; t < k; t++) {
              const i = o * s - p + t * d;
              if (includePad ? i >= -p && i < n + e : i >= 0 && i < n) m++;
            }
            return m;
          };
          for (let o = 0; o < OH; o++) c[(cnt >> 2) + o] = count(o, sh, KH, dh, pt, H, pb);
          for (let o = 0; o < OW4; o++) c[(cnt >> 2) + OH + o] = o < OW ? count(o, sw, KW, dw, pl, W, pr) : 1;
        }
        const yp = out(y.data);
        rt.ex.pool2d(xp, planes, H, W, pad, Hp, Wp, pt, pl, KH, KW, sh, sw, dh, dw, OH, OW, isMax ? 1 : 0, cnt, yp);
        copyOut(rt, y.data, yp);
      });
      return [y];
    },
  };
}

export function poolVariants(rt: WasmRuntime): KernelVariant[] {
  return [
    { key: 'MaxPool:f32', name: 'wasm-simd128', isa: 'wasm-simd128', tolerance: 'exact', tile: 4, create: (node) => pool(rt, node, true) },
    { key: 'AveragePool:f32', name: 'wasm-simd128', isa: 'wasm-simd128', tolerance: 'exact', tile: 4, create: (node) => pool(rt, node, false) },
  ];
}
