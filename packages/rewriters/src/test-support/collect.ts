/** TEST-ONLY: collect intermediate activations with onnxruntime-node (values added as graph outputs). */
import * as ort from 'onnxruntime-node';
import { DataType } from '@lowbit/onnx-ir';
import type { Model } from '@lowbit/onnx-ir';
import { encodeModel } from '@lowbit/onnx-ir';

/** For each name: all rows of the last dimension over all feeds, as `[samples, lastDim]`. */
export async function collectRows(m: Model, names: readonly string[], feeds: readonly Record<string, ort.Tensor>[]): Promise<Map<string, { data: Float32Array; samples: number }>> {
  const extra = names.filter((n) => !m.graph.outputs.some((o) => o.name === n));
  const probe: Model = { ...m, graph: { ...m.graph, outputs: [...m.graph.outputs, ...extra.map((name) => ({ name, type: { kind: 'tensor' as const, elemType: DataType.FLOAT, shape: undefined } }))] } };
  const s = await ort.InferenceSession.create(encodeModel(probe), { executionProviders: ['cpu'] });
  const parts = new Map<string, Float32Array[]>();
  let last = new Map<string, number>();
  for (const f of feeds) {
    const r = await s.run(f);
    for (const n of names) {
      const t = r[n];
      last.set(n, t.dims[t.dims.length - 1]);
      parts.set(n, [...(parts.get(n) ?? []), Float32Array.from(t.data as Float32Array)]);
    }
  }
  await s.release();
  const out = new Map<string, { data: Float32Array; samples: number }>();
  for (const [n, ps] of parts) {
    const total = ps.reduce((a, p) => a + p.length, 0);
    const data = new Float32Array(total);
    let off = 0;
    for (const p of ps) { data.set(p, off); off += p.length; }
    out.set(n, { data, samples: total / last.get(n)! });
  }
  last = new Map();
  return out;
}
