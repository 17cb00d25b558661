/**
 * TEST-ONLY model runner backed by onnxruntime-node (observed values are added as graph outputs), for tests that
 * calibrate with onnxruntime instead of the package's default runner (@lowbit/runtime, see runner.ts). Only values
 * of the main graph can become outputs: names inside If/Loop/Scan bodies are not observed by this runner.
 */
import * as ort from 'onnxruntime-node';
import { DataType, encodeModel } from '@lowbit/onnx-ir';
import type { Model } from '@lowbit/onnx-ir';
import type { ObservableModel } from '@lowbit/calibrators';

export async function ortRunner(model: Model): Promise<ObservableModel> {
  const sessions = new Map<string, ort.InferenceSession>();
  const sessionFor = async (names: readonly string[]): Promise<ort.InferenceSession> => {
    const key = [...names].sort().join('\u0000');
    let s = sessions.get(key);
    if (!s) {
      const produced = new Set(model.graph.nodes.flatMap((n) => n.outputs));
      const extra = names.filter((n) => produced.has(n) && !model.graph.outputs.some((o) => o.name === n) && !model.graph.inputs.some((i) => i.name === n));
      const probe: Model = { ...model, graph: { ...model.graph, outputs: [...model.graph.outputs, ...extra.map((name) => ({ name, type: { kind: 'tensor' as const, elemType: DataType.FLOAT, shape: undefined } }))] } };
      s = await ort.InferenceSession.create(encodeModel(probe), { executionProviders: ['cpu'] });
      sessions.set(key, s);
    }
    return s;
  };
  return {
    inputNames: model.graph.inputs.map((i) => i.name),
    async run(feeds, observer) {
      const s = await sessionFor(observer.observe);
      const f: Record<string, ort.Tensor> = {};
      for (const [k, v] of Object.entries(feeds)) f[k] = new ort.Tensor(v.dtype as 'float32', v.data as Float32Array, v.dims);
      const r = await s.run(f);
      for (const n of observer.observe) {
        const t = r[n] ?? f[n];
        if (t) observer.onValue(n, { dtype: 'float32', dims: t.dims, data: t.data });
      }
    },
  };
}
