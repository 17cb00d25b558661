/**
 * Bytes in, bytes out: the quantizers without any file access, for browsers (and for callers that keep models in
 * memory). Each decodes the ONNX bytes, quantizes as its path-based sibling does, and returns the encoded model with
 * every tensor inline (no external data).
 */
import { encodeModel, type Model } from '@lowbit/onnx-ir';
import { quantizeDynamic } from './quantize-dynamic.js';
import { quantizeStatic } from './quantize-static.js';
import { quantizeWeightOnly } from './quantize-weight-only.js';
import type { CalibrationData, DynamicQuantizeOptions, StaticQuantizeOptions, WeightOnlyQuantizeOptions } from './types.js';

/** `quantizeStatic` on bytes: returns the quantized model's ONNX bytes. */
export async function quantizeStaticBytes(model: Uint8Array | Model, calibrationData: CalibrationData | null | undefined, options: StaticQuantizeOptions = {}): Promise<Uint8Array> {
  return encodeModel(await quantizeStatic(model, null, calibrationData, options));
}

/** `quantizeDynamic` on bytes: returns the quantized model's ONNX bytes. */
export async function quantizeDynamicBytes(model: Uint8Array | Model, options: DynamicQuantizeOptions = {}): Promise<Uint8Array> {
  return encodeModel(await quantizeDynamic(model, null, options));
}

/** `quantizeWeightOnly` on bytes: returns the quantized model's ONNX bytes. */
export async function quantizeWeightOnlyBytes(model: Uint8Array | Model, options: WeightOnlyQuantizeOptions = {}): Promise<Uint8Array> {
  return encodeModel(await quantizeWeightOnly(model, null, options));
}
