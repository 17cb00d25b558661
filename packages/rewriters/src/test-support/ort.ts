/** TEST-ONLY: run a model in onnxruntime-node. */
import * as ort from 'onnxruntime-node';
import type { Model } from '@lowbit/onnx-ir';
import { encodeModel } from '@lowbit/onnx-ir';

export async function ortSession(m: Model): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(encodeModel(m), { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
}

export async function ortRun(m: Model, feeds: Record<string, { data: Float32Array | BigInt64Array; dims: readonly number[] }>): Promise<Record<string, Float32Array>> {
  const s = await ortSession(m);
  const f: Record<string, ort.Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) f[k] = new ort.Tensor(v.data instanceof Float32Array ? 'float32' : 'int64', v.data, v.dims);
  const r = await s.run(f);
  const out: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(r)) out[k] = v.data as Float32Array;
  await s.release();
  return out;
}
