/**
 * Pad(mode=constant|reflect|edge|wrap). Opset < 11: `pads` and `value` are attributes; opset 11+: `pads` (int64,
 * [begin_0.., end_0..]) and the optional scalar `constant_value` are inputs; opset 18 adds optional `axes` (pads then
 * cover only those axes). Negative pads crop. For an output coordinate o and input extent d the source is
 * i = o - begin; constant -> the value when i is outside [0, d); edge -> clamp(i, 0, d-1); reflect -> mirror without
 * repeating the border (period 2(d-1)); wrap -> i mod d.
 * Example: reflect of [1, 2, 3] with pads [2, 2] -> [3, 2, 1, 2, 3, 2, 1].
 */
import type { KernelVariant } from '../contract.js';
import { allocData } from '../tensor.js';
import { attrFloat, attrInts, attrString } from './util/attrs.js';
import { normAxis, stridesOf } from './util/broadcast.js';
import { kernelError, need } from './util/fail.js';
import { elems } from './util/index-data.js';
import { isBig, toInts, writeNumbers } from './util/values.js';
import { scalarKernel } from './util/variant.js';

function source(i: number, d: number, mode: string): number {
  if (i >= 0 && i < d) return i;
  if (mode === 'constant' || d === 0) return -1;
  if (mode === 'edge') return i < 0 ? 0 : d - 1;
  if (mode === 'wrap') return ((i % d) + d) % d;
  if (d === 1) return 0;
  const p = 2 * (d - 1);
  let j = ((i % p) + p) % p;
  if (j >= d) j = p - j;
  return j;
}

export const PAD_KERNELS: KernelVariant[] = [
  scalarKernel('Pad', (node) => {
    const mode = attrString(node, 'mode', 'constant');
    if (!['constant', 'reflect', 'edge', 'wrap'].includes(mode)) {
      throw kernelError(node, 'attribute "mode"', { expected: 'constant|reflect|edge|wrap', actual: mode });
    }
    const attrPads = attrInts(node, node.opset < 2 ? 'paddings' : 'pads');
    const attrValue = attrFloat(node, 'value', 0);
    return (inputs, ctx) => {
      const x = need(node, inputs, 0);
      const rank = x.dims.length;
      const old = node.opset < 11;
      const raw = old ? attrPads ?? [] : toInts(need(node, inputs, 1));
      const axes = !old && inputs[3] ? toInts(inputs[3]).map((a) => normAxis(node, a, rank, 'axes')) : Array.from({ length: rank }, (_, i) => i);
      if (raw.length !== 2 * axes.length) throw kernelError(node, 'pads length', { inputIndex: 1, expected: String(2 * axes.length), actual: String(raw.length) });
      const begin = new Array<number>(rank).fill(0);
      const end = new Array<number>(rank).fill(0);
      axes.forEach((a, i) => {
        begin[a] = raw[i];
        end[a] = raw[i + axes.length];
      });
      const dims = x.dims.map((d, i) => d + begin[i] + end[i]);
      if (dims.some((d) => d < 0)) throw kernelError(node, 'pads', { inputIndex: 1, expected: 'a non-negative output shape', actual: `[${dims}]` });
      if (mode !== 'constant' && x.data.length === 0 && dims.some((d) => d > 0)) {
        throw kernelError(node, `mode "${mode}" on an empty input`, { inputIndex: 0, expected: 'a non-empty tensor', actual: `[${x.dims}]` });
      }
      const out = ctx.alloc(x.dtype, dims);
      const O = elems(out);
      const X = elems(x);
      // The fill value in the output's own storage convention.
      const fill = allocData(x.dtype, 1) as unknown as { [i: number]: unknown };
      const cv = !old && inputs[2] && inputs[2].data.length > 0 ? inputs[2] : undefined;
      if (cv) fill[0] = elems(cv)[0];
      else if (x.dtype === 'string') fill[0] = '';
      else if (isBig(x.dtype)) fill[0] = BigInt(Math.trunc(attrValue));
      else writeNumbers(x.dtype, fill as never, [old ? attrValue : 0]);
      const xs = stridesOf(x.dims);
      const os = stridesOf(dims);
      for (let k = 0; k < O.length; k++) {
        let rem = k;
        let off = 0;
        let inside = true;
        for (let a = 0; a < rank; a++) {
          const o = Math.floor(rem / os[a]);
          rem -= o * os[a];
          const i = source(o - begin[a], x.dims[a], mode);
          if (i < 0) {
            inside = false;
            break;
          }
          off += i * xs[a];
        }
        O[k] = inside ? X[off] : fill[0];
      }
      return [out];
    };
  }),
];
