/**
 * GridSample(X [N, C, D1..Dr], grid [N, O1..Or, r]) -> [N, C, O1..Or] (opset 16: 4-D with bilinear/nearest/bicubic;
 * opset 20: N-D with linear/nearest/cubic). grid holds normalized coordinates in [-1, 1], innermost spatial dim
 * first (x, y, z). Denormalized in float32: align_corners=1 p = (g + 1) / 2 * (d - 1), else p = ((g + 1) * d - 1) / 2.
 * nearest rounds p half-to-even; out-of-range coordinates are clamped to [0, d-1] (border) or reflected about
 * [0, d-1] (align_corners) / [-0.5, d-0.5] (reflection) first. linear weights (1 - f, f) over floor(p), floor(p)+1;
 * cubic uses Keys' kernel with A = -0.75 over floor(p)-1 .. floor(p)+2. A tap outside the input reads 0 (zeros),
 * the clamped pixel (border) or the reflected pixel (reflection). Accumulation in double, rounded once.
 */
import type { KernelVariant } from '../contract.js';
import { attrInt, attrString } from './util/attrs.js';
import { stridesOf } from './util/broadcast.js';
import { kernelError, need } from './util/fail.js';
import { roundHalfEven } from './util/round.js';
import { toNumbers, writeNumbers } from './util/values.js';
import { scalarKernel } from './util/variant.js';

function reflect(x: number, lo: number, hi: number): number {
  const rng = hi - lo;
  if (x < lo) {
    const dx = lo - x;
    const n = Math.trunc(dx / rng);
    const r = dx - n * rng;
    return n % 2 === 0 ? lo + r : hi - r;
  }
  if (x > hi) {
    const dx = x - hi;
    const n = Math.trunc(dx / rng);
    const r = dx - n * rng;
    return n % 2 === 0 ? hi - r : lo + r;
  }
  return x;
}

function cubicCoeffs(t: number): number[] {
  const A = -0.75;
  const x = Math.abs(t);
  return [
    ((A * (x + 1) - 5 * A) * (x + 1) + 8 * A) * (x + 1) - 4 * A,
    ((A + 2) * x - (A + 3)) * x * x + 1,
    ((A + 2) * (1 - x) - (A + 3)) * (1 - x) * (1 - x) + 1,
    ((A * (2 - x) - 5 * A) * (2 - x) + 8 * A) * (2 - x) - 4 * A,
  ];
}

const MODES: Record<string, 'linear' | 'nearest' | 'cubic'> = { bilinear: 'linear', linear: 'linear', nearest: 'nearest', bicubic: 'cubic', cubic: 'cubic' };

export const GRID_SAMPLE_KERNELS: KernelVariant[] = [
  scalarKernel('GridSample', (node) => {
    const modeName = attrString(node, 'mode', node.opset < 20 ? 'bilinear' : 'linear');
    const mode = MODES[modeName];
    if (!mode) throw kernelError(node, 'attribute "mode"', { expected: 'linear|nearest|cubic (bilinear|bicubic before opset 20)', actual: modeName });
    const padding = attrString(node, 'padding_mode', 'zeros');
    if (!['zeros', 'border', 'reflection'].includes(padding)) throw kernelError(node, 'attribute "padding_mode"', { expected: 'zeros|border|reflection', actual: padding });
    const align = attrInt(node, 'align_corners', 0) !== 0;
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      const grid = need(node, inputs, 1);
      const r = x.dims.length - 2;
      if (grid.dims.length !== r + 2 || grid.dims[r + 1] !== r || grid.dims[0] !== x.dims[0]) {
        throw kernelError(node, 'grid shape', { inputIndex: 1, expected: `[${x.dims[0]}, O1..O${r}, ${r}]`, actual: `[${grid.dims}]` });
      }
      const [N, C] = x.dims;
      const sp = x.dims.slice(2);
      const outSp = grid.dims.slice(1, r + 1);
      const outN = outSp.reduce((p, d) => p * d, 1);
      const inN = sp.reduce((p, d) => p * d, 1);
      const st = stridesOf(sp);
      const X = toNumbers(x);
      const G = toNumbers(grid);
      const vals = new Float64Array(N * C * outN);
      const f = Math.fround;
      const lo = sp.map(() => (align ? 0 : -0.5));
      const hi = sp.map((d) => (align ? d - 1 : d - 0.5));
      const pixelIndex = (i: number, a: number): number => {
        const d = sp[a];
        if (padding === 'zeros') return i >= 0 && i < d ? i : -1;
        if (padding === 'border') return Math.min(Math.max(i, 0), d - 1);
        return Math.trunc(reflect(i, lo[a], hi[a]));
      };
      const taps = mode === 'linear' ? 2 : mode === 'cubic' ? 4 : 1;
      const p = new Array<number>(r);
      for (let n = 0; n < N; n++) {
        for (let o = 0; o < outN; o++) {
          const g = (n * outN + o) * r;
          for (let a = 0; a < r; a++) {
            const gv = G[g + (r - 1 - a)];
            const d = sp[a];
            let v = f(align ? ((gv + 1) / 2) * (d - 1) : ((gv + 1) * d - 1) / 2);
            if (mode === 'nearest') v = roundHalfEven(v);
            if (v < lo[a] || v > hi[a]) {
              if (padding === 'border') v = f(Math.min(Math.max(v, 0), d - 1));
              else if (padding === 'reflection') v = f(reflect(v, lo[a], hi[a]));
            }
            p[a] = v;
          }
          // Per axis: tap indices (already mapped by the padding mode; -1 = zero) and weights.
          const idx: number[][] = [];
          const wts: number[][] = [];
          for (let a = 0; a < r; a++) {
            if (mode === 'nearest') {
              idx.push([pixelIndex(Math.trunc(p[a]), a)]);
              wts.push([1]);
              continue;
            }
            const base = Math.floor(p[a]);
            const t = p[a] - base;
            if (mode === 'linear') {
              idx.push([pixelIndex(base, a), pixelIndex(base + 1, a)]);
              wts.push([1 - t, t]);
            } else {
              idx.push([base - 1, base, base + 1, base + 2].map((i) => pixelIndex(i, a)));
              wts.push(cubicCoeffs(t));
            }
          }
          const combos = taps ** r;
          for (let c = 0; c < C; c++) {
            const xoff = (n * C + c) * inN;
            let acc = 0;
            for (let k = 0; k < combos; k++) {
              let rem = k;
              let off = 0;
              let w = 1;
              for (let a = r - 1; a >= 0; a--) {
                const j = rem % taps;
                rem = Math.floor(rem / taps);
                const i = idx[a][j];
                if (i < 0) {
                  w = 0;
                  break;
                }
                off += i * st[a];
                w *= wts[a][j];
              }
              if (w !== 0) acc += w * X[xoff + off];
            }
            vals[(n * C + c) * outN + o] = acc;
          }
        }
      }
      const out = ctx.alloc(x.dtype, [N, C, ...outSp]);
      writeNumbers(x.dtype, out.data, vals);
      return [out];
    };
  }),
];
