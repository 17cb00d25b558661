/**
 * MaxPool, AveragePool and LpPool (opset 1 .. 22): sliding-window pools over 1-3 spatial dims with kernel_shape,
 * strides, pads, dilations, auto_pad and ceil_mode (output sizes in `window.ts`; with ceil_mode a window that would
 * start in the end padding is dropped).
 *
 * - MaxPool: `y = max` over the window's in-bounds taps (padding never wins). NaN propagates: a window holding a
 *   NaN gives NaN. Optional output Indices (int64): the flat index of the max within the whole input tensor,
 *   `((n*C + c)*D + d)*H*W + h*W + w` for storage_order 0, `(n*C + c)*D*H*W + d + h*D + w*D*H` (column major) for 1.
 *   Ties keep the first tap in row-major window order. Also for int8/uint8 (exact).
 * - AveragePool: `y = fround(sum / count)` with the sum accumulated in float32 (row-major window order); count is
 *   the number of in-bounds taps, or with count_include_pad the taps inside the padded extent `[-pb, in + pe)`.
 * - LpPool: `y = (sum |x|^p)^(1/p)`, sum in float32, padding contributes 0.
 * float64 computes in double, float16 via float32.
 *
 * Example: AveragePool kernel [2], X = [1, 2, 3] -> [1.5, 2.5]; with pads [1, 0] and count_include_pad 0 ->
 * [1, 1.5, 2.5], with count_include_pad 1 -> [0.5, 1.5, 2.5].
 */
import type { KernelInstance, KernelNode, KernelVariant, RunContext } from '../contract.js';
import { attrFloat, attrInt } from '../ops/util/attrs.js';
import { DTYPE_SHORT, type Tensor } from '../tensor.js';
import { expectRank, fail, input } from './checks.js';
import { floatVariants } from './float-variants.js';
import { forwardWindow, outSpatial, parseWindowAttrs, type Window3 } from './window.js';

type Kind = 'max' | 'avg' | 'lp';

interface PoolOpts {
  readonly kind: Kind;
  readonly countIncludePad: boolean;
  readonly p: number;
  readonly columnMajor: boolean;
  readonly fr: (v: number) => number;
}

/** Runs a pool over every (n, c) plane of `x` into `y` (and `indices` for MaxPool). */
export function poolPlanes(x: ArrayLike<number>, y: { [i: number]: number; length: number }, indices: BigInt64Array | null, planes: number, win: Window3, o: PoolOpts): void {
  const [D, H, W] = win.inShape;
  const [KD, KH, KW] = win.kernel;
  const [OD, OH, OW] = win.outShape;
  const [sd, sh, sw] = win.strides;
  const [dd, dh, dw] = win.dilations;
  const [pd, ph, pw] = win.padBegin;
  const [ed, eh, ew] = win.padEnd;
  const inPlane = D * H * W;
  const outPlane = OD * OH * OW;
  const fr = o.fr;
  for (let pl = 0; pl < planes; pl++) {
    const xb = pl * inPlane;
    for (let od = 0; od < OD; od++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          let acc = o.kind === 'max' ? -Infinity : 0;
          let arg = -1;
          let count = 0;
          let padCount = 0;
          for (let kd = 0; kd < KD; kd++) {
            const id = od * sd - pd + kd * dd;
            const inD = id >= 0 && id < D;
            const padD = id >= -pd && id < D + ed;
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * sh - ph + kh * dh;
              const inH = ih >= 0 && ih < H;
              const padH = ih >= -ph && ih < H + eh;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * sw - pw + kw * dw;
                const inW = iw >= 0 && iw < W;
                if (padD && padH && iw >= -pw && iw < W + ew) padCount++;
                if (!(inD && inH && inW)) continue;
                count++;
                const off = (id * H + ih) * W + iw;
                const v = x[xb + off];
                if (o.kind === 'max') {
                  if (arg < 0 || v > acc || (v !== v && acc === acc)) {
                    acc = v;
                    arg = o.columnMajor ? id + ih * D + iw * D * H : off;
                  }
                } else if (o.kind === 'avg') acc = fr(acc + v);
                else acc = fr(acc + fr(Math.abs(v) ** o.p));
              }
            }
          }
          const oi = pl * outPlane + (od * OH + oh) * OW + ow;
          if (o.kind === 'max') {
            y[oi] = acc;
            if (indices) indices[oi] = BigInt(pl * inPlane + Math.max(arg, 0));
          } else if (o.kind === 'avg') {
            const n = o.countIncludePad ? padCount : count;
            y[oi] = fr(acc / n);
          } else y[oi] = fr(acc ** (1 / o.p));
        }
      }
    }
  }
}

function createPool(node: KernelNode, kind: Kind): KernelInstance {
  const a = parseWindowAttrs(node);
  if (!a.kernelShape) fail(node, 'attribute "kernel_shape"', { expected: 'a list of ints', actual: 'missing' });
  const countIncludePad = attrInt(node, 'count_include_pad', 0) !== 0;
  const storageOrder = attrInt(node, 'storage_order', 0);
  if (storageOrder !== 0 && storageOrder !== 1) fail(node, 'attribute "storage_order"', { expected: '0 or 1', actual: String(storageOrder) });
  const p = attrFloat(node, 'p', 2);
  const kernelShape = a.kernelShape!;
  return {
    run(inputs: readonly (Tensor | null)[], ctx: RunContext): (Tensor | null)[] {
      const x = input(node, inputs, 0, kind === 'max' ? ['float32', 'float64', 'int8', 'uint8'] as const : ['float32', 'float64'] as const);
      expectRank(node, x, 0, 3, 5);
      const win = forwardWindow(node, a, x.dims.slice(2), kernelShape, { pool: true });
      const outDims = [x.dims[0], x.dims[1], ...outSpatial(win)];
      const y = ctx.alloc(x.dtype, outDims);
      const indices = kind === 'max' && node.outputCount > 1 ? ctx.alloc('int64', outDims) : null;
      poolPlanes(x.data, y.data, indices ? indices.data : null, x.dims[0] * x.dims[1], win, {
        kind, countIncludePad, p, columnMajor: storageOrder === 1, fr: x.dtype === 'float64' ? (v) => v : Math.fround,
      });
      return indices ? [y, indices] : [y];
    },
  };
}

export const POOL_KERNELS: KernelVariant[] = [
  ...floatVariants({ op: 'MaxPool', create: (node) => createPool(node, 'max') }),
  ...(['int8', 'uint8'] as const).map((d): KernelVariant => ({
    key: `MaxPool:${DTYPE_SHORT[d]}`, name: 'scalar', isa: 'scalar', tolerance: 'exact', create: (node) => createPool(node, 'max'),
  })),
  ...floatVariants({ op: 'AveragePool', create: (node) => createPool(node, 'avg') }),
  ...floatVariants({ op: 'LpPool', create: (node) => createPool(node, 'lp') }),
];
