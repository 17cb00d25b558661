import type { QParamsOptions } from './qparams-from-range.js';

/**
 * Named presets: the scale/zero-point formulas other toolkits document, expressed as option bundles for the one
 * function {@link qparamsFromRange} (`qparamsFromRange(range, PRESETS[name])`, or spread with granularity into
 * `chooseQParams`). Each is pinned by a hand-worked test in presets.test.ts.
 *
 * | preset | documented formula | options |
 * |---|---|---|
 * | `onnxruntime-uint8-asymmetric` | scale = (rmax - rmin) / (qmax - qmin), zp = round(qmin - rmin / scale), [0, 255] | uint8 asymmetric |
 * | `onnxruntime-int8-asymmetric` | same on [-128, 127] | int8 asymmetric |
 * | `onnxruntime-int8-symmetric` | scale = 2 max\|r\| / (qmax - qmin - 1) = max\|r\| / 127, zp 0, [-127, 127] | int8 symmetric-restricted |
 * | `onnxruntime-uint8-symmetric` | [-a, a] onto [0, 255]: scale = 2a / 255, zp = round(0 + a / scale) (about 127.5) | uint8 symmetric, half-span, zero point from range |
 * | `neural-compressor-int8-symmetric` | scale = 2 max(\|rmin\|, \|rmax\|) / (max(int8) - min(int8) - 1), zp 0 | int8 symmetric |
 * | `neural-compressor-uint8-symmetric` | scale = max(rmin, rmax) / (max(uint8) - min(uint8)), zp 0 | uint8 symmetric, qmin zero point, `max` magnitude |
 * | `neural-compressor-uint8-symmetric-128` | scale = max(\|rmin\|, \|rmax\|) / ((max(int8) - min(int8)) / 2), zp 128 | uint8 symmetric, half-span |
 * | `neural-compressor-int8-symmetric-half-span` | scale = max(\|rmin\|, \|rmax\|) / ((max(int8) - min(int8)) / 2), zp 0 | int8 symmetric, half-span |
 * | `neural-compressor-uint8-asymmetric` | scale = (rmax - rmin) / (max(uint8) - min(uint8)), zp = min(uint8) - round(rmin / scale) | uint8 asymmetric |
 * | `neural-compressor-uint8-asymmetric-reduce-range` | the same on 7 bits [0, 127] (reduce_range, for x86 without VNNI) | uint8 asymmetric, reduceRange |
 * | `nnpi-gemmlowp` | GemmLowP: uint8 with offset, scale = (rmax - rmin) / 255, offset = round(-rmin / scale) | uint8 asymmetric |
 * | `nnpi-symlowp` | SymLowP: zero offset, scale = max\|r\| / 127, int8 [-127, 127] | int8 symmetric-restricted |
 *
 * Where a documented formula cannot represent its own range:
 * - `neural-compressor-uint8-symmetric` ignores negative values: with rmin < 0 they all saturate to 0 (the
 *   formula is meant for non-negative activations).
 * - the half-span presets (`onnxruntime-uint8-symmetric`, `neural-compressor-uint8-symmetric-128`,
 *   `neural-compressor-int8-symmetric-half-span`) put +a on a tie half a step above qmax (127.5 + 128 = 255.5 for
 *   uint8, 127.5 for int8): +a saturates to qmax and dequantizes to a - scale / 2, so the top of the range is
 *   clipped (the error stays within scale / 2, but +a itself is not representable).
 * - `onnxruntime-uint8-symmetric`'s zero point round(a / scale) is a float32 rounding of 127.5: 128 when
 *   a / scale rounds to 127.5 or above, but 127 for e.g. a = 1 (scale = fround(2/255) is slightly above 2/255),
 *   which leaves the zero point off-centre; `neural-compressor-uint8-symmetric-128` fixes it at 128.
 */
export const PRESETS = Object.freeze({
  'onnxruntime-uint8-asymmetric': { dtype: 'uint8', scheme: 'asymmetric' },
  'onnxruntime-int8-asymmetric': { dtype: 'int8', scheme: 'asymmetric' },
  'onnxruntime-int8-symmetric': { dtype: 'int8', scheme: 'symmetric-restricted', symmetricZeroPoint: 'from-range' },
  'onnxruntime-uint8-symmetric': {
    dtype: 'uint8', scheme: 'symmetric', symmetricDenominator: 'half-span', symmetricZeroPoint: 'from-range',
  },
  'neural-compressor-int8-symmetric': { dtype: 'int8', scheme: 'symmetric' },
  'neural-compressor-uint8-symmetric': {
    dtype: 'uint8', scheme: 'symmetric', unsignedSymmetricZeroPoint: 'qmin', symmetricMagnitude: 'max',
  },
  'neural-compressor-uint8-symmetric-128': { dtype: 'uint8', scheme: 'symmetric', symmetricDenominator: 'half-span' },
  'neural-compressor-int8-symmetric-half-span': { dtype: 'int8', scheme: 'symmetric', symmetricDenominator: 'half-span' },
  'neural-compressor-uint8-asymmetric': { dtype: 'uint8', scheme: 'asymmetric' },
  'neural-compressor-uint8-asymmetric-reduce-range': { dtype: 'uint8', scheme: 'asymmetric', reduceRange: true },
  'nnpi-gemmlowp': { dtype: 'uint8', scheme: 'asymmetric' },
  'nnpi-symlowp': { dtype: 'int8', scheme: 'symmetric-restricted' },
} as const satisfies Record<string, QParamsOptions>);

export type PresetName = keyof typeof PRESETS;
