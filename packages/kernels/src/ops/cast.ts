/**
 * Cast(to, saturate, round_mode) and CastLike(target_type taken from input 1).
 *
 * - float -> float: the exact value is rounded to nearest-even in the target format (float32, float16, bfloat16,
 *   float8 kinds, float4e2m1). For float8 targets `saturate` (default 1, opset 19+) maps out-of-range values and
 *   +-Inf to +-max; without it overflow gives NaN (e4m3fn, fnuz kinds) or +-Inf (e5m2). float4e2m1 always saturates.
 *   float8e8m0 rounds the exponent by `round_mode` ("up" default).
 * - float -> integer: truncate toward zero, then wrap to the width (int4/int2/uint4/uint2 keep the low bits);
 *   NaN -> 0. float -> bool: x != 0 (NaN -> true). int64 <-> int64/uint64 is exact (BigInt).
 * - string -> number parses decimal text ("1.5", "-INF", "NaN"); number -> string prints the shortest round-trip
 *   decimal of the source value (float32 values printed as float32, e.g. 0.1f -> "0.1").
 * Example: Cast(to=FLOAT8E4M3FN)(300.0) = 0x79 (288 = 1.125 * 2^8); Cast(to=INT8)(-3.7) = -3.
 */
import { float32ToFloat8e8m0 } from '@lowbit/qparams';
import type { KernelNode, KernelVariant, RunContext } from '../contract.js';
import type { DType, Tensor } from '../tensor.js';
import { attrInt, attrString } from './util/attrs.js';
import { kernelError, need } from './util/fail.js';
import { DTYPE_OF_ONNX } from './util/onnx-dtype.js';
import { isBig, isFloat, toNumbers, writeNumbers } from './util/values.js';
import { scalarKernel } from './util/variant.js';

function parseNumber(s: string): number {
  const t = s.trim().toLowerCase();
  if (t === 'inf' || t === '+inf' || t === 'infinity' || t === '+infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  if (t === 'nan' || t === '-nan' || t === '+nan') return NaN;
  return Number(t);
}

/** Converts `x` into `to` (see the module doc for the rules). */
export function castTensor(x: Tensor, to: DType, ctx: RunContext, saturate = true, roundMode: 'up' | 'down' | 'nearest' = 'up'): Tensor {
  const out = ctx.alloc(to, x.dims);
  const n = x.data.length;
  if (x.dtype === to) {
    const src = x.data as unknown as ArrayLike<unknown>;
    const dst = out.data as unknown as { [i: number]: unknown };
    for (let i = 0; i < n; i++) dst[i] = src[i];
    return out;
  }
  if (x.dtype === 'string') {
    const S = x.data as string[];
    if (isBig(to)) {
      const O = out.data as BigInt64Array;
      for (let i = 0; i < n; i++) O[i] = to === 'int64' ? BigInt.asIntN(64, BigInt(S[i].trim())) : BigInt.asUintN(64, BigInt(S[i].trim()));
      return out;
    }
    writeNumbers(to, out.data, S.map(parseNumber), saturate);
    return out;
  }
  if (to === 'string') {
    const O = out.data as string[];
    if (isBig(x.dtype)) {
      const X = x.data as BigInt64Array;
      for (let i = 0; i < n; i++) O[i] = X[i].toString();
    } else {
      const X = toNumbers(x);
      const f32 = x.dtype === 'float32';
      for (let i = 0; i < n; i++) O[i] = formatNumber(X[i], f32);
    }
    return out;
  }
  if (isBig(x.dtype) && isBig(to)) {
    const X = x.data as BigInt64Array;
    const O = out.data as BigInt64Array;
    for (let i = 0; i < n; i++) O[i] = to === 'int64' ? BigInt.asIntN(64, X[i]) : BigInt.asUintN(64, X[i]);
    return out;
  }
  if (isBig(x.dtype) && !isFloat(to)) {
    // int64 -> narrower integer: wrap exactly on the low bits.
    const X = x.data as BigInt64Array;
    const tmp = new Float64Array(n);
    for (let i = 0; i < n; i++) tmp[i] = Number(BigInt.asIntN(32, X[i]));
    writeNumbers(to, out.data, tmp, saturate);
    return out;
  }
  if (to === 'float8e8m0') {
    const X = toNumbers(x);
    const O = out.data as Uint8Array;
    for (let i = 0; i < n; i++) O[i] = float32ToFloat8e8m0(X[i], saturate, roundMode);
    return out;
  }
  writeNumbers(to, out.data, toNumbers(x), saturate);
  return out;
}

/** Shortest decimal that reads back as the same float32 (when `f32`) or double. */
function formatNumber(v: number, f32: boolean): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'INF';
  if (v === -Infinity) return '-INF';
  if (!f32) return String(v);
  for (let p = 1; p <= 17; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) === v) return String(Number(s));
  }
  return String(v);
}

function targetOf(node: KernelNode): DType {
  const code = attrInt(node, 'to', 0);
  const to = DTYPE_OF_ONNX[code];
  if (!to) throw kernelError(node, 'attribute "to"', { expected: 'a supported ONNX data type code', actual: String(code) });
  return to;
}

function roundModeOf(node: KernelNode): 'up' | 'down' | 'nearest' {
  const m = attrString(node, 'round_mode', 'up');
  if (m !== 'up' && m !== 'down' && m !== 'nearest') throw kernelError(node, 'attribute "round_mode"', { expected: 'up|down|nearest', actual: m });
  return m;
}

export const CAST_KERNELS: KernelVariant[] = [
  scalarKernel('Cast', (node) => {
    const to = targetOf(node);
    const saturate = attrInt(node, 'saturate', 1) !== 0;
    const mode = roundModeOf(node);
    return (inputs, ctx) => [castTensor(need(node, inputs, 0), to, ctx, saturate, mode)];
  }),
  scalarKernel('CastLike', (node) => {
    const saturate = attrInt(node, 'saturate', 1) !== 0;
    const mode = roundModeOf(node);
    return (inputs, ctx) => [castTensor(need(node, inputs, 0), need(node, inputs, 1).dtype, ctx, saturate, mode)];
  }),
];
