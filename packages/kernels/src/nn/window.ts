/**
 * Sliding-window geometry shared by Conv, ConvInteger, QLinearConv, ConvTranspose and the pools: attribute parsing
 * (kernel_shape, strides, dilations, pads, auto_pad, ceil_mode) and output sizes.
 *
 * Every kernel works on a 3-D spatial view: 1-D and 2-D inputs are lifted by prepending unit spatial dims
 * (`[N,C,W]` -> `[N,C,1,1,W]`), which keeps one loop nest for all ranks. Rank > 3 spatial dims is rejected.
 */
import type { KernelNode } from '../contract.js';
import { attrInt, attrInts, attrString } from '../ops/util/attrs.js';
import { kernelError } from '../ops/util/fail.js';

export type AutoPad = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';

/** Parsed window attributes; arrays are per original spatial dim (length = rank) or undefined when absent. */
export interface WindowAttrs {
  readonly kernelShape?: readonly number[];
  readonly strides?: readonly number[];
  readonly dilations?: readonly number[];
  readonly pads?: readonly number[];
  readonly autoPad: AutoPad;
  readonly ceilMode: boolean;
}

/** Resolved geometry on the 3-D view: every array has length 3. */
export interface Window3 {
  /** Number of original spatial dims (1, 2 or 3). */
  readonly rank: number;
  readonly inShape: readonly [number, number, number];
  readonly kernel: readonly [number, number, number];
  readonly strides: readonly [number, number, number];
  readonly dilations: readonly [number, number, number];
  readonly padBegin: readonly [number, number, number];
  readonly padEnd: readonly [number, number, number];
  readonly outShape: readonly [number, number, number];
}

type N = Pick<KernelNode, 'name' | 'opType' | 'attrs'>;

export function parseWindowAttrs(node: N): WindowAttrs {
  const autoPad = attrString(node, 'auto_pad', 'NOTSET') as AutoPad;
  if (!['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'].includes(autoPad)) {
    throw kernelError(node, 'attribute "auto_pad"', { expected: 'NOTSET|SAME_UPPER|SAME_LOWER|VALID', actual: autoPad });
  }
  const positive = (name: string, v: number[] | undefined, min: number): number[] | undefined => {
    if (v && v.some((x) => !Number.isInteger(x) || x < min)) {
      throw kernelError(node, `attribute "${name}"`, { expected: `integers >= ${min}`, actual: `[${v.join(', ')}]` });
    }
    return v;
  };
  return {
    kernelShape: positive('kernel_shape', attrInts(node, 'kernel_shape'), 1),
    strides: positive('strides', attrInts(node, 'strides'), 1),
    dilations: positive('dilations', attrInts(node, 'dilations'), 1),
    pads: positive('pads', attrInts(node, 'pads'), 0),
    autoPad,
    ceilMode: attrInt(node, 'ceil_mode', 0) !== 0,
  };
}

/** Lift a per-spatial-dim list to 3 entries by prepending `fill`. */
export function lift3(v: readonly number[], fill: number): [number, number, number] {
  const out: [number, number, number] = [fill, fill, fill];
  for (let i = 0; i < v.length; i++) out[3 - v.length + i] = v[i];
  return out;
}

export interface WindowOptions {
  /** Pools: a ceil_mode window that would start in the end padding is dropped (ONNX >= 19 semantics). */
  readonly pool: boolean;
}

/**
 * Output geometry for a forward window op (Conv, pools).
 *
 * - explicit pads: `out = floor_or_ceil((in + pb + pe - ((k-1)*d + 1)) / s) + 1`; with ceil_mode a last window that
 *   would start at or past `in + pb` is dropped.
 * - SAME_UPPER / SAME_LOWER: `out = ceil(in / s)`, total pad `max(0, (out-1)*s + (k-1)*d + 1 - in)`, the odd element
 *   at the end (UPPER) or the beginning (LOWER).
 * - VALID: no padding, `out = floor((in - ((k-1)*d + 1)) / s) + 1`.
 *
 * Example: in 5, k 3, s 2, SAME_LOWER -> out 3, total pad 2 -> pads [1, 1].
 */
export function forwardWindow(node: N, a: WindowAttrs, spatial: readonly number[], kernelShape: readonly number[], opts: WindowOptions): Window3 {
  const rank = spatial.length;
  if (rank < 1 || rank > 3) {
    throw kernelError(node, 'spatial rank', { inputIndex: 0, expected: '1, 2 or 3 spatial dims', actual: `${rank}` });
  }
  if (kernelShape.length !== rank) {
    throw kernelError(node, 'kernel_shape', { expected: `${rank} entries`, actual: `[${kernelShape.join(', ')}]` });
  }
  const strides = a.strides ?? new Array<number>(rank).fill(1);
  const dilations = a.dilations ?? new Array<number>(rank).fill(1);
  const pads = a.pads ?? new Array<number>(2 * rank).fill(0);
  if (strides.length !== rank) throw kernelError(node, 'attribute "strides"', { expected: `${rank} entries`, actual: `[${strides.join(', ')}]` });
  if (dilations.length !== rank) throw kernelError(node, 'attribute "dilations"', { expected: `${rank} entries`, actual: `[${dilations.join(', ')}]` });
  if (pads.length !== 2 * rank) throw kernelError(node, 'attribute "pads"', { expected: `${2 * rank} entries`, actual: `[${pads.join(', ')}]` });
  const pb: number[] = [];
  const pe: number[] = [];
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const inn = spatial[i];
    const ext = (kernelShape[i] - 1) * dilations[i] + 1;
    const s = strides[i];
    if (a.autoPad === 'SAME_UPPER' || a.autoPad === 'SAME_LOWER') {
      const o = Math.ceil(inn / s);
      const total = Math.max(0, (o - 1) * s + ext - inn);
      const small = Math.floor(total / 2);
      pb.push(a.autoPad === 'SAME_UPPER' ? small : total - small);
      pe.push(a.autoPad === 'SAME_UPPER' ? total - small : small);
      out.push(o);
      continue;
    }
    const b = a.autoPad === 'VALID' ? 0 : pads[i];
    const e = a.autoPad === 'VALID' ? 0 : pads[i + rank];
    const span = inn + b + e - ext;
    if (span < 0) {
      throw kernelError(node, `spatial dim ${i}`, { inputIndex: 0, expected: `padded size >= kernel extent ${ext}`, actual: `${inn} + pads ${b}+${e}` });
    }
    let o = (a.ceilMode ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
    if (a.ceilMode && opts.pool && (o - 1) * s >= inn + b) o--;
    pb.push(b);
    pe.push(e);
    out.push(o);
  }
  return {
    rank,
    inShape: lift3(spatial, 1),
    kernel: lift3(kernelShape, 1),
    strides: lift3(strides, 1),
    dilations: lift3(dilations, 1),
    padBegin: lift3(pb, 0),
    padEnd: lift3(pe, 0),
    outShape: lift3(out, 1),
  };
}

/** The original-rank output spatial dims of a Window3. */
export function outSpatial(w: Window3): number[] {
  return w.outShape.slice(3 - w.rank);
}
