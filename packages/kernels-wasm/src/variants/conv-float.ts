/**
 * Conv:f32 (2-D) on the wasm kernels: im2col straight into SGEMM's packed panels, then the 4 x 8 SGEMM with the
 * weights as the left operand (so the output lands in NCHW without a transpose); depthwise convolutions (group = C =
 * M) run a direct kernel on a zero-padded copy of each plane.
 *
 * Tolerance (declared as a reordered-sum bound): the reference accumulates each tap with one rounding
 * (`acc = fround(acc + x*w)`, an exact double product: a fused multiply-add), in the order c, kh, kw; these kernels
 * keep that order but round the product first (`fround(acc + fround(x*w))`, WebAssembly SIMD has no exact FMA), and
 * padding taps add `0 * w`. Per output, |wasm - reference| <= (T + 1) * 2^-24 * sum over taps |x * w| for T taps
 * (plus the bias rounding both share); finite inputs only (an infinite weight times a padding zero is NaN here).
 *
 * Covered: 4-D X, constant 4-D W, any group, strides, dilations, pads / auto_pad. Everything else runs on the
 * reference kernel.
 */
import type { AttrValue, KernelInstance, KernelNode, KernelVariant, Tensor } from '@lowbit/kernels';
import type { WasmRuntime } from '../runtime.js';
import { copyOut, lazyReference, withScratch } from '../runtime.js';

const ints = (v: AttrValue | undefined): number[] | undefined => (Array.isArray(v) ? (v as readonly (number | bigint)[]).map(Number) : undefined);

export interface Conv2dGeometry {
  readonly OH: number;
  readonly OW: number;
  /** top, left, bottom, right */
  readonly pads: readonly [number, number, number, number];
}

/** ONNX Conv output size and padding for one 2-D input (auto_pad NOTSET/VALID/SAME_UPPER/SAME_LOWER). */
export function convGeometry2d(attrs: ReadonlyMap<string, AttrValue>, H: number, W: number, KH: number, KW: number): Conv2dGeometry | undefined {
  const [sh, sw] = ints(attrs.get('strides')) ?? [1, 1];
  const [dh, dw] = ints(attrs.get('dilations')) ?? [1, 1];
  const auto = attrs.get('auto_pad');
  const mode = typeof auto === 'string' ? auto : 'NOTSET';
  const ekh = (KH - 1) * dh + 1;
  const ekw = (KW - 1) * dw + 1;
  let pads: [number, number, number, number];
  if (mode === 'SAME_UPPER' || mode === 'SAME_LOWER') {
    const oh = Math.ceil(H / sh);
    const ow = Math.ceil(W / sw);
    const th = Math.max(0, (oh - 1) * sh + ekh - H);
    const tw = Math.max(0, (ow - 1) * sw + ekw - W);
    const [t, l] = mode === 'SAME_UPPER' ? [Math.floor(th / 2), Math.floor(tw / 2)] : [th - Math.floor(th / 2), tw - Math.floor(tw / 2)];
    pads = [t, l, th - t, tw - l];
  } else if (mode === 'VALID') pads = [0, 0, 0, 0];
  else if (mode === 'NOTSET' || mode === '') {
    const p = ints(attrs.get('pads')) ?? [0, 0, 0, 0];
    if (p.length !== 4) return undefined;
    pads = [p[0], p[1], p[2], p[3]];
  } else return undefined;
  const OH = Math.floor((H + pads[0] + pads[2] - ekh) / sh) + 1;
  const OW = Math.floor((W + pads[1] + pads[3] - ekw) / sw) + 1;
  if (!(OH >= 1 && OW >= 1)) return undefined;
  return { OH, OW, pads };
}

function create(rt: WasmRuntime, node: KernelNode): KernelInstance {
  const reference = lazyReference(rt, node);
  const wc = node.constants?.get(1);
  const group = Number(node.attrs.get('group') ?? 1);
  const [sh, sw] = ints(node.attrs.get('strides')) ?? [1, 1];
  const [dh, dw] = ints(node.attrs.get('dilations')) ?? [1, 1];
  let wPtr = wc && wc.dtype === 'float32' && wc.dims.length === 4 ? rt.heap.copyIn(wc.data as Float32Array) : 0;
  const ks = ints(node.attrs.get('kernel_shape'));
  // The geometry of the last input and kernel sizes seen (they rarely change between runs).
  let last: { H: number; W: number; KH: number; KW: number; geo: Conv2dGeometry | undefined } | undefined;
  return {
    run(inputs, ctx) {
      const x = inputs[0], w = inputs[1], bias = inputs[2];
      if (!x || !w || x.dtype !== 'float32' || w.dtype !== 'float32' || x.dims.length !== 4 || w.dims.length !== 4 || (bias && (bias.dtype !== 'float32' || bias.data.length !== w.dims[0]))) return reference(inputs, ctx);
      // Indexed reads (destructuring a frozen dims array allocates iterator results on every call).
      const xd = x.dims, wd = w.dims;
      const N = xd[0], C = xd[1], H = xd[2], W = xd[3];
      const M = wd[0], Cg = wd[1], KH = wd[2], KW = wd[3];
      if (!Number.isInteger(group) || group < 1 || C !== Cg * group || M % group !== 0 || (ks && (ks[0] !== KH || ks[1] !== KW))) return reference(inputs, ctx);
      if (!last || last.H !== H || last.W !== W || last.KH !== KH || last.KW !== KW) last = { H, W, KH, KW, geo: convGeometry2d(node.attrs, H, W, KH, KW) };
      const geo = last.geo;
      if (!geo) return reference(inputs, ctx);
      const { OH, OW, pads } = geo;
      const y = ctx.alloc('float32', [N, M, OH, OW]);
      const plane = OH * OW;
      if (y.data.length === 0) return [y];
      const Mg = M / group;
      const K = Cg * KH * KW;
      withScratch(rt, (alloc, place, out) => {
        const xp = place(x.data as Float32Array);
        const wp = wPtr !== 0 && w.data === wc?.data ? wPtr : place(w.data as Float32Array);
        const bp = bias ? place(bias.data as Float32Array) : 0;
        const yp = out(y.data);
        const ex = rt.ex;
        if (Cg === 1 && Mg === 1) {
          const Hp = Math.max(H + pads[0] + pads[2], (OH - 1) * sh + (KH - 1) * dh + 1);
          const Wp = Math.max(W + pads[1] + pads[3], (OW + 4) * sw + (KW - 1) * dw + 8);
          const pad = alloc(Hp * Wp * 4);
          const row = alloc((OW + 3) * 4);
          ex.depthwisePlanes(xp, N * C, C, H, W, pad, Hp, Wp, pads[0], pads[1], wp, KH, KW, sh, sw, dh, dw, OH, OW, bp, yp, row);
        } else {
          const direct = KH === 1 && KW === 1 && sh === 1 && sw === 1 && pads.every((p) => p === 0);
          const packed = alloc(ex.spackBSize(K, plane));
          const aScratch = alloc(ex.sscratchASize(Mg, K));
          for (let n = 0; n < N; n++) {
            for (let g = 0; g < group; g++) {
              const xg = xp + (n * C + g * Cg) * H * W * 4;
              if (direct) ex.spackB(xg, K, plane, plane, 1, packed);
              else ex.im2colPacked(xg, Cg, H, W, KH, KW, sh, sw, dh, dw, pads[0], pads[1], OH, OW, packed);
              const out = yp + (n * M + g * Mg) * plane * 4;
              ex.sgemm(wp + g * Mg * K * 4, K, Mg, K, packed, plane, out, plane, bias ? bp + g * Mg * 4 : 0, aScratch);
            }
          }
        }
        copyOut(rt, y.data, yp);
      });
      return [y];
    },
    dispose() {
      rt.heap.free(wPtr);
      wPtr = 0;
    },
  };
}

/** Largest |error| the reordered Conv may show against the reference, as a (rtol, atol) stand-in for the harness. */
export const CONV_TOLERANCE = { rtol: 2 ** -14, atol: 2 ** -16 } as const;

export function convFloatVariants(rt: WasmRuntime): KernelVariant[] {
  return [{ key: 'Conv:f32', name: 'wasm-simd128-im2col-4x8', isa: 'wasm-simd128', tolerance: CONV_TOLERANCE, tile: 8, create: (node) => create(rt, node) }];
}
