/**
 * Compares a produced tensor with an expected one, the way the ONNX backend tests do:
 * - float32/float64/float16/bfloat16: |actual - expected| <= atol + rtol * |expected| elementwise; NaN matches NaN,
 *   infinities must match exactly (float16/bfloat16 bit patterns are decoded first)
 * - every other dtype (integers, bool, string, float8/float4 bit patterns): exact equality
 * dtype and dims must match exactly.
 */
import { Tensor } from '@lowbit/kernels';
import { OptionalNone, TensorSequence, type Value } from '../../values.js';

export interface Tolerance {
  readonly rtol: number;
  readonly atol: number;
}

export const DEFAULT_TOLERANCE: Tolerance = { rtol: 1e-3, atol: 1e-5 };

/** float16 bits -> number (IEEE 754 binary16: 1 sign, 5 exponent (bias 15), 10 fraction bits). */
export function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** bfloat16 bits -> number (the top 16 bits of a float32). */
export function bfloat16ToNumber(h: number): number {
  const b = new Float32Array(new Uint32Array([h << 16]).buffer);
  return b[0];
}

function floats(t: Tensor): ArrayLike<number> | undefined {
  switch (t.dtype) {
    case 'float32': case 'float64': return t.data as ArrayLike<number>;
    case 'float16': return Array.from(t.data as Uint16Array, halfToNumber);
    case 'bfloat16': return Array.from(t.data as Uint16Array, bfloat16ToNumber);
    default: return undefined;
  }
}

/** First mismatch as a message, or undefined when `actual` matches `expected`. */
export function compareTensors(actual: Tensor, expected: Tensor, tol: Tolerance = DEFAULT_TOLERANCE): string | undefined {
  if (actual.dtype !== expected.dtype) return `dtype ${actual.dtype}, expected ${expected.dtype}`;
  if (actual.dims.length !== expected.dims.length || actual.dims.some((d, i) => d !== expected.dims[i])) {
    return `dims [${actual.dims.join(', ')}], expected [${expected.dims.join(', ')}]`;
  }
  const e = floats(expected);
  if (e) {
    const a = floats(actual)!;
    for (let i = 0; i < e.length; i++) {
      const x = a[i];
      const y = e[i];
      if (x === y || (Number.isNaN(x) && Number.isNaN(y))) continue;
      if (!Number.isFinite(y) || !(Math.abs(x - y) <= tol.atol + tol.rtol * Math.abs(y))) return `element ${i}: ${x}, expected ${y}`;
    }
    return undefined;
  }
  const ad = actual.data as ArrayLike<unknown>;
  const ed = expected.data as ArrayLike<unknown>;
  for (let i = 0; i < ed.length; i++) {
    if (ad[i] !== ed[i]) return `element ${i}: ${String(ad[i])}, expected ${String(ed[i])}`;
  }
  return undefined;
}

/** `compareTensors` lifted to sequences (item by item) and optionals (empty matches empty). */
export function compareValues(actual: Value, expected: Value, tol: Tolerance = DEFAULT_TOLERANCE): string | undefined {
  if (expected instanceof Tensor) return actual instanceof Tensor ? compareTensors(actual, expected, tol) : `got a ${actual.constructor.name}, expected a tensor`;
  if (expected instanceof OptionalNone) return actual instanceof OptionalNone ? undefined : `got a ${actual.constructor.name}, expected an empty optional`;
  if (!(actual instanceof TensorSequence)) return `got a ${actual.constructor.name}, expected a sequence`;
  if (actual.length !== expected.length) return `sequence of length ${actual.length}, expected ${expected.length}`;
  for (let i = 0; i < expected.length; i++) {
    const m = compareTensors(actual.items[i], expected.items[i], tol);
    if (m) return `item ${i}: ${m}`;
  }
  return undefined;
}
