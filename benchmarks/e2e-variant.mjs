// One end-to-end benchmark variant as the profiling scripts use it (profile-e2e.mjs, op-times.mjs): the model's bytes
// (float, or quantized static per-channel on 8 sample batches, or dynamic), its input name, dims and a sample input.
// LOWBIT_PROF_CACHE=DIR keeps the quantized model there, so a rerun does not include the quantization.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { encodeModel } from '@lowbit/onnx-ir';
import { quantizeDynamic, quantizeStatic } from '@lowbit/quantize';
import { bertInput, bertShapedModel } from './bert-shaped.mjs';

export const E2E_MODELS = {
  'ultraface-rfb-320': { input: 'input', dims: [1, 3, 240, 320] },
  'ppocr-mobile-v2-cls': { input: 'x', dims: [1, 3, 48, 192] },
  'mnist-8': { input: 'Input3', dims: [1, 1, 28, 28] },
  'bert-shaped': { input: 'hidden_states', dims: [1, 64, 256], generated: true },
};

/** `{ bytes, input, dims, sample(i) }` for model `name` (a key of E2E_MODELS) in variant `kind` (float, static, dynamic). */
export async function e2eVariant(name, kind) {
  const spec = E2E_MODELS[name];
  if (!spec) throw new Error(`unknown model ${name}: expected one of ${Object.keys(E2E_MODELS).join(', ')}`);
  const testdata = process.env.LOWBIT_TESTDATA ?? resolve(import.meta.dirname, '..', '..', 'shared', 'testdata');
  const n = spec.dims.reduce((a, b) => a * b, 1);
  const sample = (i) => (spec.generated ? bertInput(i) : Float32Array.from({ length: n }, (_, j) => Math.sin(i * 7919 + j)));
  const cache = process.env.LOWBIT_PROF_CACHE ? join(process.env.LOWBIT_PROF_CACHE, `${name}.${kind}.onnx`) : undefined;
  if (cache && existsSync(cache)) return { bytes: readFileSync(cache), input: spec.input, dims: spec.dims, sample };
  const floatBytes = spec.generated ? encodeModel(bertShapedModel()) : readFileSync(join(testdata, 'models', `${name}.onnx`));
  let bytes = floatBytes;
  const dir = mkdtempSync(join(tmpdir(), 'lowbit-e2e-'));
  try {
    if (kind === 'static') {
      const calib = Array.from({ length: 8 }, (_, i) => ({ [spec.input]: { dtype: 'float32', data: sample(i), dims: spec.dims } }));
      await quantizeStatic(floatBytes, join(dir, 'm.onnx'), calib, { perChannel: true });
      bytes = readFileSync(join(dir, 'm.onnx'));
    } else if (kind === 'dynamic') {
      await quantizeDynamic(floatBytes, join(dir, 'm.onnx'), {});
      bytes = readFileSync(join(dir, 'm.onnx'));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (cache) writeFileSync(cache, bytes);
  return { bytes, input: spec.input, dims: spec.dims, sample };
}
