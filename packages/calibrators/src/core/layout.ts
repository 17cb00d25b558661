import { CalibrationError } from './errors.js';
import type { TensorLike } from './types.js';

/**
 * How a row-major tensor splits into channels along `axis`: element `(o, c, i)` lives at `(o * channels + c) * inner + i`.
 * Per-tensor (`axis === null`) is one channel with `outer = 1` and `inner = size`.
 */
export interface ChannelLayout {
  readonly channels: number;
  readonly outer: number;
  readonly inner: number;
}

/** Validates a batch (Float32Array data whose length matches dims) and returns its channel layout. */
export function channelLayout(batch: TensorLike, axis: number | null, kind: string): ChannelLayout {
  if (!(batch.data instanceof Float32Array)) {
    const actual = (batch.data as unknown as object | null)?.constructor?.name ?? typeof batch.data;
    throw new CalibrationError(`${kind}: observed data must be a Float32Array, got ${actual}`, { kind, expected: 'Float32Array', actual });
  }
  let size = 1;
  for (const d of batch.dims) {
    if (!Number.isInteger(d) || d < 0) {
      throw new CalibrationError(`${kind}: observed dims [${batch.dims.join(', ')}] are not non-negative integers`, { kind, actual: `[${batch.dims.join(', ')}]` });
    }
    size *= d;
  }
  if (size !== batch.data.length) {
    throw new CalibrationError(`${kind}: dims [${batch.dims.join(', ')}] need ${size} elements, data has ${batch.data.length}`, {
      kind, expected: String(size), actual: String(batch.data.length),
    });
  }
  if (axis === null) return { channels: 1, outer: 1, inner: size };
  const rank = batch.dims.length;
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) {
    throw new CalibrationError(`${kind}: axis ${axis} is out of range for a rank-${rank} tensor [${batch.dims.join(', ')}]`, {
      kind, expected: `axis in [${-rank}, ${rank - 1}]`, actual: String(axis),
    });
  }
  let outer = 1;
  for (let k = 0; k < a; k++) outer *= batch.dims[k];
  let inner = 1;
  for (let k = a + 1; k < rank; k++) inner *= batch.dims[k];
  return { channels: batch.dims[a], outer, inner };
}

/** Throws when a batch's channel count differs from the count a state already fixed. */
export function checkChannels(kind: string, have: number, got: number): void {
  if (have !== 0 && have !== got) {
    throw new CalibrationError(`${kind}: batch has ${got} channels along the calibration axis, earlier batches had ${have}`, {
      kind, expected: String(have), actual: String(got),
    });
  }
}

/**
 * Calls `fn(c, v)` for every finite element `v` of channel `c`; NaN and ±Infinity are skipped (they carry no range
 * information and would poison every statistic). `-0` is passed as `+0`, so results never depend on the sign of zero.
 */
export function forEachFinite(data: Float32Array, l: ChannelLayout, fn: (c: number, v: number) => void): void {
  const { channels, outer, inner } = l;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const base = (o * channels + c) * inner;
      for (let i = 0; i < inner; i++) {
        const v = data[base + i];
        if (v - v === 0) fn(c, v + 0);
      }
    }
  }
}
