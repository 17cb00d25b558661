/**
 * The quantization worker: everything heavy runs here, off the page's main thread (decode, calibrate, quantize,
 * measure). Progress goes back as messages; the result carries the quantized bytes (transferred, not copied).
 */
import { decodeModel, type Model } from '@lowbit/onnx-ir';
import { quantizeDynamicBytes, quantizeStaticBytes, quantizeWeightOnlyBytes, type Feeds } from '@lowbit/quantize';
import { Session, Tensor } from '@lowbit/runtime';
import { calibrationSamples, type InputSpec } from './calibration-input.js';
import { summarize } from './inspect.js';
import { measureLatency } from './latency.js';
import type { FromWorker, QuantizeRequest } from './protocol.js';
import { SqnrAccumulator } from './sqnr.js';

const post = (m: FromWorker, transfer: Transferable[] = []): void => (self as unknown as Worker).postMessage(m, transfer);

function inputSpec(m: Model): InputSpec {
  const inits = new Set(m.graph.initializers.map((t) => t.name));
  const input = m.graph.inputs.find((i) => !inits.has(i.name));
  if (!input) throw new Error('the model has no graph input to feed');
  const t = input.type;
  if (!t || t.kind !== 'tensor' || !t.shape) throw new Error(`input ${input.name}: not a tensor of known rank`);
  const dims = t.shape.map((d, i) => (typeof d === 'number' && d > 0 ? d : i === 0 ? 1 : NaN));
  if (dims.some(Number.isNaN)) throw new Error(`input ${input.name}: shape [${t.shape.join(', ')}] has symbolic dimensions other than the batch`);
  return { name: input.name, dims: [1, ...dims.slice(1)] };
}

async function run(req: QuantizeRequest): Promise<void> {
  const t0 = performance.now();
  post({ type: 'progress', phase: 'decoding the model' });
  const floatModel = decodeModel(req.model);
  const before = summarize(floatModel, req.model.length);
  const spec = inputSpec(floatModel);
  post({ type: 'log', text: `input ${spec.name} [${spec.dims.join(', ')}], ${before.nodes} nodes, opset ${before.opset}` });
  post({ type: 'progress', phase: 'reading calibration data' });
  const samples = await calibrationSamples(req.calibration, spec, (text) => post({ type: 'log', text }));
  const feed = (x: Float32Array): Feeds => ({ [spec.name]: { dtype: 'float32', dims: spec.dims, data: x } });

  let bytes: Uint8Array;
  if (req.mode === 'static') {
    let seen = 0;
    const total = samples.length;
    const data = function* (): Iterable<Feeds> {
      for (const x of samples) {
        seen++;
        if (seen % 10 === 0 || seen % total === 0) post({ type: 'progress', phase: 'calibrating', done: ((seen - 1) % total) + 1, total });
        yield feed(x);
      }
    };
    bytes = await quantizeStaticBytes(req.model, data, { quantFormat: req.format, perChannel: req.perChannel, calibrationMethod: req.method });
  } else if (req.mode === 'dynamic') {
    post({ type: 'progress', phase: 'quantizing weights (dynamic)' });
    bytes = await quantizeDynamicBytes(req.model, { perChannel: req.perChannel });
  } else {
    post({ type: 'progress', phase: 'quantizing weights (weight-only)' });
    bytes = await quantizeWeightOnlyBytes(req.model, { blockSize: req.blockSize });
  }
  const after = summarize(decodeModel(bytes), bytes.length);

  post({ type: 'progress', phase: 'measuring SQNR (float vs quantized)' });
  const sqnr = new SqnrAccumulator(floatModel);
  const evalSamples = samples.slice(0, 16);
  const fRef = await Session.create(req.model, { backend: 'js', graphOptimization: 'none' });
  const qRef = await Session.create(bytes, { backend: 'js', graphOptimization: 'none' });
  for (let i = 0; i < evalSamples.length; i++) {
    const x = evalSamples[i]!;
    const fv = new Map<string, Float32Array>();
    await fRef.run({ [spec.name]: new Tensor('float32', Float32Array.from(x), [...spec.dims]) }, { onValue: (n, t) => { if (t.dtype === 'float32') fv.set(n, Float32Array.from(t.data as Float32Array)); } });
    await qRef.run({ [spec.name]: new Tensor('float32', Float32Array.from(x), [...spec.dims]) }, { onValue: (n, t) => { if (t.dtype === 'float32') sqnr.add(n, fv.get(n), t.data as Float32Array); } });
    post({ type: 'progress', phase: 'measuring SQNR (float vs quantized)', done: i + 1, total: evalSamples.length });
  }

  post({ type: 'progress', phase: 'timing float vs quantized (wasm backend)' });
  const latency = await measureLatency(req.model, bytes, spec, samples[0]!, req.latencyRuns);
  const result: FromWorker = {
    type: 'done', bytes, before, after, outputSqnr: sqnr.outputSqnr(), layers: sqnr.layers(), latency, seconds: (performance.now() - t0) / 1000,
  };
  post(result, [bytes.buffer as ArrayBuffer]);
}

self.onmessage = (e: MessageEvent<QuantizeRequest>) => {
  run(e.data).catch((err: unknown) => post({ type: 'error', message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }));
};
