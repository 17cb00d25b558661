#!/usr/bin/env node
/**
 * Output SQNR vs float (both run in onnxruntime-node, same held-out inputs) of static QDQ per-channel u8s8 models made
 * by a given build of @lowbit/quantize, on mnist-8, ultraface-rfb-320, ppocr-mobile-v2-cls, silero-vad-legacy and the
 * mel front end (write it first with `melFrontEnd()` from packages/quantize/src/test-support/mel-frontend.ts).
 *
 *   node benchmarks/fidelity-sqnr.mjs --quantize packages/quantize/dist/index.js --mel /tmp/mel.onnx [--method minmax]
 *
 * Run it once with main's build and once with this branch's to get a before/after table. Calibration: 8 inputs;
 * evaluation: 4 other inputs; every input is generated deterministically (MNIST: the first training images).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { pathToFileURL } from 'node:url';
import * as ort from 'onnxruntime-node';

const arg = (k, d) => { const i = process.argv.indexOf(k); return i > 0 ? process.argv[i + 1] : d; };
const q = await import(pathToFileURL(resolve(arg('--quantize', 'packages/quantize/dist/index.js'))).href);
const method = arg('--method', 'minmax');
const mel = arg('--mel');
const td = (...p) => resolve('../shared/testdata', ...p);
const dir = mkdtempSync(join(tmpdir(), 'lowbit-fidelity-'));

function image(dims, seed) {
  const [, c, h, w] = dims;
  const out = new Float32Array(c * h * w);
  for (let k = 0; k < c; k++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[(k * h + y) * w + x] = Math.sin(x / (5 + (seed % 7)) + seed + k) * Math.cos(y / (3 + (seed % 4)) - seed);
  return out;
}
const mnistImages = (() => { let b; return (i) => { b ??= gunzipSync(readFileSync(td('mnist', 'train-10k-images-idx3-ubyte.gz'))); return Float32Array.from(b.subarray(16 + i * 784, 16 + (i + 1) * 784), (v) => v / 255); }; })();
function rand(n, seed) { let s = seed >>> 0 || 1; const o = new Float32Array(n); for (let i = 0; i < n; i++) { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; o[i] = (s / 4294967296) * 2 - 1; } return o; }
function melFrames(seed) {
  const T = 32, N = 256, noise = rand(T * N, seed), out = new Float32Array(T * N);
  for (let t = 0; t < T; t++) { const amp = 10 ** (-2 * ((t * 7 + seed) % 11) / 10); for (let n = 0; n < N; n++) { const i = t * N + n; out[i] = amp * (0.6 * Math.sin(0.05 * (seed + 3) * n) + 0.3 * Math.sin(0.31 * n + t)) + 0.002 * noise[i]; } }
  return out;
}
const audio = (k) => Float32Array.from({ length: 512 }, (_, i) => 0.3 * Math.sin(i / (7 + k)) + 0.1 * Math.sin(i / 2.3 + k) + 0.05 * Math.sin(i * 0.91 * (k + 1)));

const cases = [
  { name: 'mnist-8', path: td('models', 'mnist-8.onnx'), feeds: (s) => ({ Input3: ['float32', mnistImages(s), [1, 1, 28, 28]] }) },
  { name: 'ultraface-rfb-320', path: td('models', 'ultraface-rfb-320.onnx'), feeds: (s) => ({ input: ['float32', image([1, 3, 240, 320], s), [1, 3, 240, 320]] }) },
  { name: 'ppocr-mobile-v2-cls', path: td('models', 'ppocr-mobile-v2-cls.onnx'), feeds: (s) => ({ x: ['float32', image([1, 3, 48, 192], s), [1, 3, 48, 192]] }) },
  { name: 'silero-vad-legacy', path: td('models', 'silero-vad-legacy.onnx'), feeds: (s) => ({ input: ['float32', audio(s), [1, 512]], sr: ['int64', BigInt64Array.of(16000n), []], h: ['float32', new Float32Array(128), [2, 1, 64]], c: ['float32', new Float32Array(128), [2, 1, 64]] }) },
  ...(mel ? [{ name: 'mel front end', path: mel, feeds: (s) => ({ frames: ['float32', melFrames(s), [32, 256]] }) }] : []),
];

const asLowbit = (f) => Object.fromEntries(Object.entries(f).map(([k, [dtype, data, dims]]) => [k, { dtype, data, dims }]));
const asOrt = (f) => Object.fromEntries(Object.entries(f).map(([k, [dtype, data, dims]]) => [k, new ort.Tensor(dtype, data, dims)]));

console.log(`cpu: ${cpus()[0]?.model}; quantize: ${arg('--quantize', 'packages/quantize/dist/index.js')}; method ${method}`);
for (const c of cases) {
  const out = join(dir, `${c.name.replace(/ /g, '-')}.onnx`);
  const t0 = performance.now();
  const m = await q.quantizeStatic(c.path, out, () => [0, 1, 2, 3, 4, 5, 6, 7].map((s) => asLowbit(c.feeds(s))), { perChannel: true, calibrationMethod: method });
  const f = await ort.InferenceSession.create(c.path, { executionProviders: ['cpu'] });
  const s = await ort.InferenceSession.create(out, { executionProviders: ['cpu'] });
  let sig = 0, noise = 0;
  for (const k of [100, 101, 102, 103]) {
    const fe = asOrt(c.feeds(k));
    const a = await f.run(fe), b = await s.run(fe);
    for (const o of f.outputNames) { const ra = a[o].data, rb = b[o].data; for (let i = 0; i < ra.length; i++) { sig += ra[i] ** 2; noise += (ra[i] - rb[i]) ** 2; } }
  }
  const cov = m.metadataProps.find((p) => p.key === 'lowbit.coverage');
  const countQ = (g) => g.nodes.reduce((n, x) => n + (x.opType === 'QuantizeLinear' ? 1 : 0) + x.attributes.reduce((k, a) => k + (a.type === 'graph' ? countQ(a.value) : 0), 0), 0);
  const qdq = countQ(m.graph);
  console.log(`${c.name}\tSQNR ${(10 * Math.log10(sig / noise)).toFixed(2)} dB\tQuantizeLinear(any depth) ${qdq}\t${cov ? JSON.parse(cov.value).quantizedCompute + '/' + JSON.parse(cov.value).computeNodes + ' compute quantized' : ''}\t${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
