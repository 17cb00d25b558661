/**
 * Conv:f32 on wasm against the scalar reference under the declared reordered-sum bound (see conv-float.ts): for every
 * output, |wasm - exact| <= (T + 2) * 2^-24 * (sum over taps |x * w| + |bias|), with `exact` and the sum computed in
 * double here, T the number of taps; and the reference obeys the same bound (so the two differ by at most twice it).
 * Local stand-in for the harness's reordered-sum tolerance (being added to @lowbit/testing).
 */
import { describe, expect, it } from 'vitest';
import { Tensor, freshRunContext, type AttrValue } from '@lowbit/kernels';
import { mkNode, seeded, wasmRegistry } from '../test-support/index.js';
import { convGeometry2d } from './conv-float.js';

const { registry } = await wasmRegistry({ relaxed: false });

interface Case {
  readonly name: string;
  readonly x: number[];
  readonly w: number[];
  readonly attrs: Record<string, AttrValue>;
  readonly bias?: boolean;
}

const CASES: Case[] = [
  { name: '3x3 pad 1 stride 1', x: [1, 3, 9, 11], w: [8, 3, 3, 3], attrs: { pads: [1, 1, 1, 1] }, bias: true },
  { name: '3x3 stride 2, odd size', x: [2, 4, 13, 7], w: [9, 4, 3, 3], attrs: { pads: [1, 1, 1, 1], strides: [2, 2] }, bias: true },
  { name: '1x1 (direct pack)', x: [1, 16, 5, 7], w: [17, 16, 1, 1], attrs: {}, bias: true },
  { name: '1x1 stride 2', x: [1, 5, 6, 6], w: [4, 5, 1, 1], attrs: { strides: [2, 2] } },
  { name: 'depthwise 3x3 stride 1', x: [1, 6, 10, 19], w: [6, 1, 3, 3], attrs: { group: 6, pads: [1, 1, 1, 1] }, bias: true },
  { name: 'depthwise 3x3 stride 2', x: [2, 5, 11, 9], w: [5, 1, 3, 3], attrs: { group: 5, pads: [1, 1, 1, 1], strides: [2, 2] }, bias: true },
  { name: 'depthwise 5x5 dilation 2, asymmetric pads', x: [1, 3, 12, 12], w: [3, 1, 5, 5], attrs: { group: 3, pads: [2, 1, 3, 0], dilations: [2, 2] } },
  { name: 'depthwise 5x5 pads 2 (row passes)', x: [1, 4, 3, 21], w: [4, 1, 5, 5], attrs: { group: 4, pads: [2, 2, 2, 2] }, bias: true },
  { name: 'depthwise 5x5 stride 2, 2 images', x: [2, 3, 9, 17], w: [3, 1, 5, 5], attrs: { group: 3, pads: [2, 2, 2, 2], strides: [2, 2] }, bias: true },
  { name: 'depthwise 7x3 stride (1, 3)', x: [1, 2, 9, 23], w: [2, 1, 7, 3], attrs: { group: 2, pads: [3, 1, 3, 1], strides: [1, 3] } },
  { name: 'depthwise 3x3 stride 3', x: [1, 2, 9, 14], w: [2, 1, 3, 3], attrs: { group: 2, strides: [3, 3] }, bias: true },
  { name: 'group 2, channel multiplier', x: [1, 4, 7, 8], w: [6, 2, 3, 2], attrs: { group: 2, pads: [0, 1, 0, 1] }, bias: true },
  { name: 'depthwise multiplier 2', x: [1, 3, 6, 6], w: [6, 1, 3, 3], attrs: { group: 3, pads: [1, 1, 1, 1] } },
  { name: 'SAME_UPPER stride 2', x: [1, 2, 9, 10], w: [3, 2, 3, 3], attrs: { auto_pad: 'SAME_UPPER', strides: [2, 2] }, bias: true },
  { name: 'SAME_LOWER dilation 2', x: [1, 2, 8, 9], w: [3, 2, 2, 3], attrs: { auto_pad: 'SAME_LOWER', dilations: [2, 2] } },
  { name: 'VALID, large K', x: [1, 40, 6, 6], w: [5, 40, 3, 3], attrs: { auto_pad: 'VALID' }, bias: true },
];

function tensor(rand: () => number, dims: number[], scale: number): Tensor<'float32'> {
  const n = dims.reduce((a, b) => a * b, 1);
  return new Tensor('float32', Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale), dims);
}

/** Exact (double) convolution and sum |x*w| per output, by the definition. */
function exactConv(x: Tensor<'float32'>, w: Tensor<'float32'>, b: Tensor<'float32'> | undefined, attrs: Record<string, AttrValue>) {
  const [N, C, H, W] = x.dims;
  const [M, Cg, KH, KW] = w.dims;
  const group = (attrs.group as number | undefined) ?? 1;
  const [sh, sw] = (attrs.strides as number[] | undefined) ?? [1, 1];
  const [dh, dw] = (attrs.dilations as number[] | undefined) ?? [1, 1];
  const g = convGeometry2d(new Map(Object.entries(attrs)), H, W, KH, KW)!;
  const val = new Float64Array(N * M * g.OH * g.OW);
  const mag = new Float64Array(val.length);
  const Mg = M / group;
  let o = 0;
  for (let n = 0; n < N; n++) for (let m = 0; m < M; m++) for (let oh = 0; oh < g.OH; oh++) for (let ow = 0; ow < g.OW; ow++, o++) {
    let s = b ? b.data[m] : 0;
    let a = b ? Math.abs(b.data[m]) : 0;
    const cg0 = Math.floor(m / Mg) * Cg;
    for (let c = 0; c < Cg; c++) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
      const ih = oh * sh - g.pads[0] + kh * dh;
      const iw = ow * sw - g.pads[1] + kw * dw;
      if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
      const p = x.data[((n * C + cg0 + c) * H + ih) * W + iw] * w.data[((m * Cg + c) * KH + kh) * KW + kw];
      s += p;
      a += Math.abs(p);
    }
    val[o] = s;
    mag[o] = a;
  }
  return { val, mag, taps: Cg * KH * KW, dims: [N, M, g.OH, g.OW] };
}

describe('Conv:f32 on wasm (reordered-sum bound)', () => {
  const rand = seeded(2024);
  for (const c of CASES) {
    it(c.name, () => {
      const x = tensor(rand, c.x, 8);
      const w = tensor(rand, c.w, 1);
      const b = c.bias ? tensor(rand, [c.w[0]], 4) : undefined;
      const node = mkNode('Conv', ['float32', 'float32', ...(b ? ['float32' as const] : [])], c.attrs, 11, new Map([[1, w]]));
      const wasm = registry.resolve('Conv:f32', { available: ['wasm-simd128'] }, node);
      expect(wasm.name).toBe('wasm-simd128-im2col-4x8');
      const inputs = b ? [x, w, b] : [x, w];
      const ex = exactConv(x, w, b, c.attrs);
      const u = 2 ** -24;
      for (const [who, inst] of [['wasm', wasm.create(node)], ['reference', registry.variants('Conv:f32').find((v) => v.name === 'scalar')!.create(node)]] as const) {
        const y = inst.run(inputs, freshRunContext)[0]!;
        expect(y.dims, who).toEqual(ex.dims);
        let worst = 0;
        for (let i = 0; i < ex.val.length; i++) {
          const bound = (ex.taps + 2) * u * ex.mag[i] + 1e-30;
          worst = Math.max(worst, Math.abs((y.data as Float32Array)[i] - ex.val[i]) / bound);
        }
        expect(worst, `${who}: worst error / bound`).toBeLessThanOrEqual(1);
      }
      // Per-call packing of a non-constant W gives the same bits as the packed-at-create path.
      const again = wasm.create(mkNode('Conv', node.inputTypes as never, c.attrs, 11)).run(inputs, freshRunContext)[0]!;
      expect(Array.from(again.data as Float32Array)).toEqual(Array.from(wasm.create(node).run(inputs, freshRunContext)[0]!.data as Float32Array));
    });
  }
});
