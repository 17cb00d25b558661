/**
 * ConvInteger and QLinearConv (2-D) on the exact integer GEMM: per image and group, im2row of X (padding holds the
 * input zero point, so padded taps contribute 0, as the reference) times the group's weights, transposed and packed
 * once at create (B = W_g^T, so the per-output-channel weight zero point is B's per-column zero point). The
 * [spatial, channels] result is written transposed into NCHW. QLinearConv adds the int32 bias and requantizes with
 * m[c] = requantMultiplier(x_scale, w_scale[c], y_scale) (ties to even, saturating). Bit-exact with the reference.
 *
 * Covered: 4-D X, constant 4-D W, per-tensor x/y parameters, per-tensor or per-channel w parameters, float32 scales.
 * Everything else runs on the reference kernel.
 */
import { requantMultiplier, Tensor, type AttrValue, type KernelInstance, type KernelNode, type KernelVariant } from '@lowbit/kernels';
import type { WasmRuntime } from '../runtime.js';
import { lazyReference, withScratch } from '../runtime.js';
import { convGeometry2d } from './conv-float.js';
import { zeroPoints } from './matmul-integer.js';
import { freeQB, packQB, qgemmInto, type PackedQB } from './qmatmul-core.js';

type Q8 = 'uint8' | 'int8';
const SHORT = { uint8: 'u8', int8: 'i8' } as const;
const RANGE = { uint8: [0, 255], int8: [-128, 127] } as const;
const ints = (v: AttrValue | undefined): number[] | undefined => (Array.isArray(v) ? (v as readonly (number | bigint)[]).map(Number) : undefined);

/** Per group: W_g^T [K, Mg] packed for the integer GEMM. */
function packGroups(rt: WasmRuntime, w: Tensor, group: number, kept: boolean): PackedQB[] {
  const [M, Cg, KH, KW] = w.dims;
  const K = Cg * KH * KW;
  const Mg = M / group;
  const src = w.data as Int8Array | Uint8Array;
  const out: PackedQB[] = [];
  for (let g = 0; g < group; g++) {
    const t = w.dtype === 'int8' ? new Int8Array(K * Mg) : new Uint8Array(K * Mg);
    for (let m = 0; m < Mg; m++) for (let k = 0; k < K; k++) t[k * Mg + m] = src[(g * Mg + m) * K + k];
    out.push(packQB(rt, new Tensor(w.dtype, t, [K, Mg]), false, kept));
  }
  return out;
}

interface QConvOut {
  /** Requantization (QLinearConv): multiplier and bias per output channel, output zero point and type. */
  readonly requant?: { readonly mult: Float32Array; readonly bias: Int32Array | undefined; readonly zy: number; readonly ty: Q8 };
}

function create(rt: WasmRuntime, node: KernelNode, tx: Q8, tw: Q8, qlinear: boolean, ty?: Q8): KernelInstance {
  const reference = lazyReference(rt, node);
  const wIndex = qlinear ? 3 : 1;
  const group = Number(node.attrs.get('group') ?? 1);
  const [sh, sw] = ints(node.attrs.get('strides')) ?? [1, 1];
  const [dh, dw] = ints(node.attrs.get('dilations')) ?? [1, 1];
  const wc = node.constants?.get(wIndex);
  const usable = (w: Tensor | null | undefined): w is Tensor => !!w && w.dtype === tw && w.dims.length === 4 && Number.isInteger(group) && group >= 1 && w.dims[0] % group === 0;
  let packed = usable(wc) ? packGroups(rt, wc, group, true) : undefined;
  return {
    run(inputs, ctx) {
      const x = inputs[0];
      const w = inputs[wIndex];
      if (!x || x.dtype !== tx || x.dims.length !== 4 || !usable(w)) return reference(inputs, ctx);
      const [N, C, H, W] = x.dims;
      const [M, Cg, KH, KW] = w.dims;
      const ks = ints(node.attrs.get('kernel_shape'));
      if (C !== Cg * group || (ks && (ks[0] !== KH || ks[1] !== KW))) return reference(inputs, ctx);
      const geo = convGeometry2d(node.attrs, H, W, KH, KW);
      if (!geo) return reference(inputs, ctx);
      const zxT = inputs[2];
      const zwT = inputs[qlinear ? 5 : 3];
      if ((zxT && (zxT.dtype !== tx || zxT.data.length !== 1)) || (zwT && zwT.dtype !== tw)) return reference(inputs, ctx);
      const zx = zxT ? (zxT.data as Uint8Array | Int8Array)[0] : 0;
      const zw = zeroPoints(zwT, M);
      if (!zw) return reference(inputs, ctx);
      let out: QConvOut = {};
      if (qlinear) {
        const [, xs, , , ws, , ys, zyT, bT] = inputs;
        const one = (t: Tensor | null | undefined) => (t && t.dtype === 'float32' && t.data.length === 1 ? (t.data as Float32Array)[0] : undefined);
        const xsV = one(xs);
        const ysV = one(ys);
        if (xsV === undefined || ysV === undefined || !ws || ws.dtype !== 'float32' || (ws.data.length !== 1 && ws.data.length !== M)) return reference(inputs, ctx);
        if (!zyT || zyT.dtype !== ty || zyT.data.length !== 1 || (bT && (bT.dtype !== 'int32' || bT.data.length !== M))) return reference(inputs, ctx);
        const mult = new Float32Array(M);
        for (let m = 0; m < M; m++) mult[m] = requantMultiplier(xsV, (ws.data as Float32Array)[ws.data.length === 1 ? 0 : m], ysV);
        if (!mult.every(Number.isFinite)) return reference(inputs, ctx);
        out = { requant: { mult, bias: bT ? (bT.data as Int32Array) : undefined, zy: (zyT.data as Uint8Array | Int8Array)[0], ty: ty! } };
      }
      const { OH, OW, pads } = geo;
      const plane = OH * OW;
      const rq = out.requant;
      const y = rq ? ctx.alloc(rq.ty, [N, M, OH, OW]) : ctx.alloc('int32', [N, M, OH, OW]);
      if (y.data.length === 0) return [y];
      const groups = packed && w.data === wc?.data ? packed : packGroups(rt, w, group, false);
      const Mg = M / group;
      const K = Cg * KH * KW;
      const Mgp = Math.ceil(Mg / 4) * 4;
      try {
        withScratch(rt, (alloc, place) => {
          const xp = place(x.data as Uint8Array);
          const rows = alloc(plane * K);
          for (let n = 0; n < N; n++) {
            for (let g = 0; g < group; g++) {
              rt.ex.im2row8(xp + (n * C + g * Cg) * H * W, Cg, H, W, KH, KW, sh, sw, dh, dw, pads[0], pads[1], OH, OW, zx & 0xff, rows);
              const zb = zw.length === 1 ? zw : zw.subarray(g * Mg, (g + 1) * Mg);
              const base = (n * M + g * Mg) * plane;
              qgemmInto(rt, rows, tx === 'int8', plane, Int32Array.of(zx), groups[g], zb, (c, alloc2) => {
                if (!rq) {
                  const acc = rt.heap.i32();
                  const yd = y.data as Int32Array;
                  const c4 = c >> 2;
                  for (let p = 0; p < plane; p++) for (let m = 0; m < Mg; m++) yd[base + m * plane + p] = acc[c4 + p * Mg + m];
                  return;
                }
                const mp = alloc2(Mgp * 4);
                const bp = rq.bias ? alloc2(Mgp * 4) : 0;
                const f = rt.heap.f32();
                f.set(rq.mult.subarray(g * Mg, (g + 1) * Mg), mp >> 2);
                if (rq.bias) rt.heap.i32().set(rq.bias.subarray(g * Mg, (g + 1) * Mg), bp >> 2);
                const q = alloc2(plane * Mg);
                const [lo, hi] = RANGE[rq.ty];
                rt.ex.requantize(c, plane, Mg, mp, bp, rq.zy, lo, hi, rq.ty === 'int8' ? 1 : 0, q);
                const bytes = new Uint8Array(rt.heap.memory.buffer, q, plane * Mg);
                const yd = y.data as Uint8Array;
                for (let p = 0; p < plane; p++) for (let m = 0; m < Mg; m++) yd[base + m * plane + p] = bytes[p * Mg + m];
              });
            }
          }
        });
      } finally {
        if (groups !== packed) for (const p of groups) freeQB(rt, p);
      }
      return [y];
    },
    dispose() {
      for (const p of packed ?? []) freeQB(rt, p);
      packed = undefined;
    },
  };
}

export function convIntegerVariants(rt: WasmRuntime): KernelVariant[] {
  const q8: Q8[] = ['uint8', 'int8'];
  const out: KernelVariant[] = [];
  for (const tx of q8) for (const tw of q8) {
    out.push({ key: `ConvInteger:${SHORT[tx]}x${SHORT[tw]}->i32`, name: 'wasm-simd128-im2row-4x8', isa: 'wasm-simd128', tolerance: 'exact', tile: 8, create: (node) => create(rt, node, tx, tw, false) });
    for (const ty of q8) {
      out.push({ key: `QLinearConv:${SHORT[tx]}x${SHORT[tw]}->${SHORT[ty]}`, name: 'wasm-simd128-im2row-4x8', isa: 'wasm-simd128', tolerance: 'exact', tile: 8, create: (node) => create(rt, node, tx, tw, true, ty) });
    }
  }
  return out;
}
