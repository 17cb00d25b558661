/**
 * BatchNormalization:f32 (inference) and GlobalAveragePool:f32 on the wasm kernels, bit-exact with the reference:
 * BatchNormalization is `fround(fround(fround(fround(x - mean) / den) * scale) + B)` with
 * `den = fround(sqrt(fround(var + eps)))` (computed here, per channel, exactly as the reference); GlobalAveragePool sums
 * each plane in float32 in order, then divides once. Training mode, other dtypes and bad inputs run on the reference.
 */
import type { KernelInstance, KernelNode, KernelVariant } from '@lowbit/kernels';
import type { WasmRuntime } from '../runtime.js';
import { copyOut, lazyReference, prod, withScratch } from '../runtime.js';

function batchNorm(rt: WasmRuntime, node: KernelNode): KernelInstance {
  const reference = lazyReference(rt, node);
  const epsAttr = node.attrs.get('epsilon');
  const eps = typeof epsAttr === 'number' ? epsAttr : 1e-5;
  const training = Number(node.attrs.get('training_mode') ?? 0) !== 0;
  const spatial = Number(node.attrs.get('spatial') ?? 1);
  return {
    run(inputs, ctx) {
      const [x, scale, bias, mean, vr] = inputs;
      if (training || spatial !== 1 || !x || x.dtype !== 'float32' || x.dims.length < 2) return reference(inputs, ctx);
      const C = x.dims[1];
      const ps = [scale, bias, mean, vr];
      if (ps.some((t) => !t || t.dtype !== 'float32' || t.data.length !== C)) return reference(inputs, ctx);
      const [s, b, m, v] = ps.map((t) => t!.data as Float32Array);
      const params = new Float32Array(4 * C);
      for (let c = 0; c < C; c++) {
        params[4 * c] = m[c];
        params[4 * c + 1] = Math.fround(Math.sqrt(Math.fround(v[c] + eps)));
        params[4 * c + 2] = s[c];
        params[4 * c + 3] = b[c];
      }
      const y = ctx.alloc('float32', x.dims);
      const n = x.data.length;
      if (n === 0) return [y];
      withScratch(rt, (_alloc, place, out) => {
        const xp = place(x.data as Float32Array);
        const pp = place(params);
        const yp = out(y.data);
        rt.ex.batchNorm(xp, x.dims[0], C, prod(x.dims.slice(2)), pp, yp);
        copyOut(rt, y.data, yp);
      });
      return [y];
    },
  };
}

function globalAvgPool(rt: WasmRuntime, node: KernelNode): KernelInstance {
  const reference = lazyReference(rt, node);
  return {
    run(inputs, ctx) {
      const x = inputs[0];
      if (!x || x.dtype !== 'float32' || x.dims.length < 3) return reference(inputs, ctx);
      const N = x.dims[0], C = x.dims[1];
      const plane = prod(x.dims.slice(2));
      const y = ctx.alloc('float32', [N, C, ...x.dims.slice(2).map(() => 1)]);
      if (N * C === 0 || plane === 0) return reference(inputs, ctx);
      withScratch(rt, (_alloc, place, out) => {
        const xp = place(x.data as Float32Array);
        const yp = out(y.data);
        rt.ex.globalAvgPool(xp, N * C, plane, yp);
        copyOut(rt, y.data, yp);
      });
      return [y];
    },
  };
}

export function normVariants(rt: WasmRuntime): KernelVariant[] {
  return [
    { key: 'BatchNormalization:f32', name: 'wasm-simd128', isa: 'wasm-simd128', tolerance: 'exact', tile: 4, create: (node) => batchNorm(rt, node) },
    { key: 'GlobalAveragePool:f32', name: 'wasm-scalar-order', isa: 'wasm-simd128', tolerance: 'exact', tile: 4, create: (node) => globalAvgPool(rt, node) },
  ];
}
