/**
 * TEST-ONLY calibration: runs onnxruntime-node with the requested intermediate values added as graph outputs and
 * records min/max per value (the rewriters cannot depend on the runtime; @lowbit/quantize does this for real).
 */
import * as ort from 'onnxruntime-node';
import { DataType } from '@lowbit/onnx-ir';
import type { Model } from '@lowbit/onnx-ir';
import { encodeModel } from '@lowbit/onnx-ir';

export async function minMaxRanges(m: Model, names: readonly string[], inputName: string, batches: readonly { data: Float32Array; dims: number[] }[]): Promise<Map<string, { min: number; max: number }>> {
  const outs = names.filter((n) => !m.graph.outputs.some((o) => o.name === n) && !m.graph.inputs.some((i) => i.name === n));
  const probe: Model = { ...m, graph: { ...m.graph, outputs: [...m.graph.outputs, ...outs.map((name) => ({ name, type: { kind: 'tensor' as const, elemType: DataType.FLOAT, shape: undefined } }))] } };
  const s = await ort.InferenceSession.create(encodeModel(probe), { executionProviders: ['cpu'] });
  const ranges = new Map<string, { min: number; max: number }>();
  const note = (name: string, data: ArrayLike<number>): void => {
    let { min, max } = ranges.get(name) ?? { min: Infinity, max: -Infinity };
    for (let i = 0; i < data.length; i++) { const v = data[i]; if (v < min) min = v; if (v > max) max = v; }
    ranges.set(name, { min, max });
  };
  for (const b of batches) {
    const r = await s.run({ [inputName]: new ort.Tensor('float32', b.data, b.dims) });
    for (const n of names) note(n, n === inputName ? b.data : (r[n].data as Float32Array));
  }
  await s.release();
  return ranges;
}
