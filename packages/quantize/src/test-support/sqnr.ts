/** Output SQNR of a quantized model against its float model, both run in onnxruntime-node on the same feeds. */
import * as ort from 'onnxruntime-node';

export type OrtFeeds = Record<string, ort.Tensor>;

/** `10 log10(Σ f² / Σ (f - q)²)` over every output element of every feed (dB). */
export async function sqnrDb(floatModel: string | Uint8Array, quantModel: string | Uint8Array, feeds: readonly OrtFeeds[]): Promise<number> {
  const open = (m: string | Uint8Array) => (typeof m === 'string' ? ort.InferenceSession.create(m, { executionProviders: ['cpu'] }) : ort.InferenceSession.create(m, { executionProviders: ['cpu'] }));
  const f = await open(floatModel);
  const q = await open(quantModel);
  let sig = 0, noise = 0;
  for (const fe of feeds) {
    const a = await f.run(fe);
    const b = await q.run(fe);
    for (const name of f.outputNames) {
      const ra = a[name].data as Float32Array, rb = b[name].data as Float32Array;
      for (let i = 0; i < ra.length; i++) { sig += ra[i] ** 2; noise += (ra[i] - rb[i]) ** 2; }
    }
  }
  return 10 * Math.log10(sig / noise);
}
